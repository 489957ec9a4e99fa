// Models opened from disk are kept in the origin-private file system (OPFS), so that after a reload
// they are in the model list again without picking them anew. Downloads need none of this: the
// loader keeps them in Cache Storage.

const ROOT = 'kvkit-demo-models';

async function root(create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
  if (!navigator.storage?.getDirectory) return undefined;
  const opfs = await navigator.storage.getDirectory();
  return opfs.getDirectoryHandle(ROOT, { create }).catch(() => undefined);
}

/** Keeps a copy of the files under the model's label (replacing an older copy). */
export async function saveModelFiles(label: string, files: readonly File[]): Promise<void> {
  const dir = await root(true);
  if (!dir) return;
  const name = encodeURIComponent(label);
  await dir.removeEntry(name, { recursive: true }).catch(() => {});
  const model = await dir.getDirectoryHandle(name, { create: true });
  for (const f of files) {
    const w = await (await model.getFileHandle(f.name, { create: true })).createWritable();
    await w.write(f);
    await w.close();
  }
}

/** Every kept model: its label and its files. */
export async function savedModels(): Promise<{ label: string; files: File[] }[]> {
  const dir = await root(false);
  if (!dir) return [];
  const out: { label: string; files: File[] }[] = [];
  for await (const entry of dir.values()) {
    if (entry.kind !== 'directory') continue;
    const files: File[] = [];
    for await (const f of (entry as FileSystemDirectoryHandle).values()) if (f.kind === 'file') files.push(await (f as FileSystemFileHandle).getFile());
    if (files.length) out.push({ label: decodeURIComponent(entry.name), files });
  }
  return out;
}

/** Deletes every kept model. */
export async function clearSavedModels(): Promise<void> {
  const opfs = await navigator.storage?.getDirectory?.();
  await opfs?.removeEntry(ROOT, { recursive: true }).catch(() => {});
}
