import type { DirectoryHandleLike } from './browser-storage.js';
import { storageManager } from './browser-storage.js';
import type { SnapshotEntry, SnapshotStore, SnapshotStoreOptions } from './snapshot-store.js';
import { checkMaxBytes, checkSnapshotBytes, checkSnapshotKey, ensureRoom, SnapshotStoreError, storageFailure } from './snapshot-store.js';

export interface OpfsSnapshotStoreOptions extends SnapshotStoreOptions {
  /** The folder inside the origin private file system (default 'kvkit-snapshots'). */
  readonly directory?: string;
}

async function originEstimate(): Promise<{ originUsage?: number; originQuota?: number }> {
  const e = await storageManager()?.estimate?.().catch(() => undefined);
  return e ? { ...(e.usage !== undefined ? { originUsage: e.usage } : {}), ...(e.quota !== undefined ? { originQuota: e.quota } : {}) } : {};
}

/**
 * Snapshots as files in the origin private file system (a browser page or worker): one file per key.
 * Survives reloads; cleared with the site's data.
 */
export async function createOpfsSnapshotStore(opts: OpfsSnapshotStoreOptions = {}): Promise<SnapshotStore> {
  checkMaxBytes(opts.maxBytes);
  const storage = storageManager();
  if (!storage?.getDirectory) throw new SnapshotStoreError('the origin private file system (navigator.storage.getDirectory) is not available here: use createIndexedDbSnapshotStore, or saveSnapshot from @kvkit/runtime/node in Node');
  let dir: DirectoryHandleLike;
  try {
    dir = await (await storage.getDirectory()).getDirectoryHandle(opts.directory ?? 'kvkit-snapshots', { create: true });
  } catch (e) {
    throw new SnapshotStoreError(`cannot open the OPFS folder '${opts.directory ?? 'kvkit-snapshots'}': ${String(e)}`, e);
  }
  const list = async (): Promise<SnapshotEntry[]> => {
    const out: SnapshotEntry[] = [];
    for await (const [name, handle] of dir.entries()) {
      if (handle.kind !== 'file' || name.endsWith('.partial')) continue;
      const file = await handle.getFile();
      out.push({ key: name, size: file.size, savedAt: file.lastModified });
    }
    return out.sort((a, b) => a.savedAt - b.savedAt || a.key.localeCompare(b.key));
  };
  return {
    async put(key, bytes) {
      checkSnapshotKey(key);
      checkSnapshotBytes(bytes);
      ensureRoom(await list(), key, bytes.length, opts.maxBytes);
      // Written under a temporary name, then moved over the key: a failed write leaves the old entry.
      const tmp = `${key}.partial`;
      try {
        const handle = await dir.getFileHandle(tmp, { create: true });
        const w = await handle.createWritable();
        try {
          await w.write(bytes);
          await w.close();
        } catch (e) {
          await w.abort().catch(() => {});
          throw e;
        }
        await handle.move(key);
      } catch (e) {
        await dir.removeEntry(tmp).catch(() => {});
        throw storageFailure(e, key, bytes.length);
      }
      const file = await (await dir.getFileHandle(key)).getFile();
      return { key, size: file.size, savedAt: file.lastModified };
    },
    async get(key) {
      checkSnapshotKey(key);
      try {
        const file = await (await dir.getFileHandle(key)).getFile();
        return new Uint8Array(await file.arrayBuffer());
      } catch (e) {
        if ((e as { name?: string }).name === 'NotFoundError') return undefined;
        throw storageFailure(e, key, 0);
      }
    },
    list,
    async delete(key) {
      checkSnapshotKey(key);
      try {
        await dir.removeEntry(key);
        return true;
      } catch (e) {
        if ((e as { name?: string }).name === 'NotFoundError') return false;
        throw storageFailure(e, key, 0);
      }
    },
    async usage() {
      const bytes = (await list()).reduce((a, e) => a + e.size, 0);
      return { bytes, ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}), ...(await originEstimate()) };
    },
  };
}

export { originEstimate };
