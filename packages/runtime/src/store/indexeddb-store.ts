import type { IdbDatabaseLike, IdbRequestLike, IdbTransactionLike } from './browser-storage.js';
import { indexedDb } from './browser-storage.js';
import { originEstimate } from './opfs-store.js';
import type { SnapshotEntry, SnapshotStore, SnapshotStoreOptions } from './snapshot-store.js';
import { checkMaxBytes, checkSnapshotBytes, checkSnapshotKey, ensureRoom, SnapshotStoreError, storageFailure } from './snapshot-store.js';

export interface IndexedDbSnapshotStoreOptions extends SnapshotStoreOptions {
  /** The database name (default 'kvkit-snapshots'). */
  readonly database?: string;
}

const META = 'meta';
const DATA = 'data';

function request<T>(r: IdbRequestLike<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IdbTransactionLike): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * Snapshots in IndexedDB (any browser context, workers included): sizes and dates in one object store,
 * the bytes in another, so that `list()` reads no snapshot bytes. A put is one transaction.
 */
export async function createIndexedDbSnapshotStore(opts: IndexedDbSnapshotStoreOptions = {}): Promise<SnapshotStore> {
  checkMaxBytes(opts.maxBytes);
  const idb = indexedDb();
  if (!idb) throw new SnapshotStoreError('IndexedDB is not available here: use createOpfsSnapshotStore in a page, or saveSnapshot from @kvkit/runtime/node in Node');
  const name = opts.database ?? 'kvkit-snapshots';
  let db: IdbDatabaseLike;
  try {
    const open = idb.open(name, 1);
    open.onupgradeneeded = () => {
      open.result.createObjectStore(META, { keyPath: 'key' });
      open.result.createObjectStore(DATA);
    };
    db = await request(open);
  } catch (e) {
    throw new SnapshotStoreError(`cannot open the IndexedDB database '${name}': ${String(e)}`, e);
  }
  const list = async (): Promise<SnapshotEntry[]> => {
    const all = (await request(db.transaction(META).objectStore(META).getAll())) as SnapshotEntry[];
    return all.map(({ key, size, savedAt }) => ({ key, size, savedAt })).sort((a, b) => a.savedAt - b.savedAt || a.key.localeCompare(b.key));
  };
  return {
    async put(key, bytes) {
      checkSnapshotKey(key);
      checkSnapshotBytes(bytes);
      ensureRoom(await list(), key, bytes.length, opts.maxBytes);
      const entry: SnapshotEntry = { key, size: bytes.length, savedAt: Date.now() };
      try {
        const tx = db.transaction([META, DATA], 'readwrite');
        const finished = done(tx);
        tx.objectStore(DATA).put(bytes.slice(), key);
        tx.objectStore(META).put(entry);
        await finished;
      } catch (e) {
        throw storageFailure(e, key, bytes.length);
      }
      return entry;
    },
    async get(key) {
      checkSnapshotKey(key);
      const v = (await request(db.transaction(DATA).objectStore(DATA).get(key))) as Uint8Array | undefined;
      return v === undefined ? undefined : new Uint8Array(v);
    },
    list,
    async delete(key) {
      checkSnapshotKey(key);
      const tx = db.transaction([META, DATA], 'readwrite');
      const finished = done(tx);
      const existing = await request(tx.objectStore(META).getKey(key));
      tx.objectStore(META).delete(key);
      tx.objectStore(DATA).delete(key);
      await finished;
      return existing !== undefined;
    },
    async usage() {
      const bytes = (await list()).reduce((a, e) => a + e.size, 0);
      return { bytes, ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}), ...(await originEstimate()) };
    },
  };
}
