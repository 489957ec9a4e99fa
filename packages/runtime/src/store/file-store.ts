// Node: snapshots as files (saveSnapshot/loadSnapshot for one file, a folder as a SnapshotStore).
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KvkitError } from '@kvkit/tensor';
import type { SnapshotEntry, SnapshotStore, SnapshotStoreOptions } from './snapshot-store.js';
import { checkMaxBytes, checkSnapshotBytes, checkSnapshotKey, ensureRoom, storageFailure } from './snapshot-store.js';

/** No snapshot at the path or key asked for. */
export class SnapshotNotFoundError extends KvkitError {
  constructor(message: string) {
    super('SNAPSHOT_NOT_FOUND', message);
  }
}

/** Writes a snapshot file whole or not at all (a temporary file beside it, then a rename). */
export async function saveSnapshot(path: string, bytes: Uint8Array): Promise<void> {
  checkSnapshotBytes(bytes);
  const tmp = `${path}.${process.pid}.partial`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw storageFailure(e, path, bytes.length);
  }
}

/** Reads a snapshot file (restore it with `Session.restore` or `LanguageModel.restoreSession`). */
export async function loadSnapshot(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw new SnapshotNotFoundError(`no snapshot file at ${path}`);
    throw storageFailure(e, path, 0);
  }
}

const SUFFIX = '.kvsnap';

/** A folder of snapshots, one `<key>.kvsnap` file each. */
export async function createFileSnapshotStore(dir: string, opts: SnapshotStoreOptions = {}): Promise<SnapshotStore> {
  checkMaxBytes(opts.maxBytes);
  await mkdir(dir, { recursive: true });
  const file = (key: string) => join(dir, `${checkSnapshotKey(key)}${SUFFIX}`);
  const list = async (): Promise<SnapshotEntry[]> => {
    const out: SnapshotEntry[] = [];
    for (const name of await readdir(dir)) {
      if (!name.endsWith(SUFFIX)) continue;
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (s?.isFile()) out.push({ key: name.slice(0, -SUFFIX.length), size: s.size, savedAt: s.mtimeMs });
    }
    return out.sort((a, b) => a.savedAt - b.savedAt || a.key.localeCompare(b.key));
  };
  return {
    async put(key, bytes) {
      const path = file(key);
      checkSnapshotBytes(bytes);
      ensureRoom(await list(), key, bytes.length, opts.maxBytes);
      await saveSnapshot(path, bytes);
      const s = await stat(path);
      return { key, size: s.size, savedAt: s.mtimeMs };
    },
    async get(key) {
      try {
        return await loadSnapshot(file(key));
      } catch (e) {
        if (e instanceof SnapshotNotFoundError) return undefined;
        throw e;
      }
    },
    list,
    async delete(key) {
      const path = file(key);
      const existed = await stat(path).then(() => true, () => false);
      await rm(path, { force: true });
      return existed;
    },
    async usage() {
      const bytes = (await list()).reduce((a, e) => a + e.size, 0);
      return { bytes, ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}) };
    },
  };
}
