// Bundled for the page: the snapshot stores from the runtime's browser-safe main entry.
import type { SnapshotStore } from '../../src/index.js';
import { createIndexedDbSnapshotStore, createOpfsSnapshotStore } from '../../src/index.js';

export type StoreKind = 'opfs' | 'indexeddb';

function open(kind: StoreKind, maxBytes?: number): Promise<SnapshotStore> {
  const opts = maxBytes === undefined ? {} : { maxBytes };
  return kind === 'opfs' ? createOpfsSnapshotStore(opts) : createIndexedDbSnapshotStore(opts);
}

async function failure(p: Promise<unknown>): Promise<{ name: string; code: string; needed?: number; available?: number } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    const err = e as { name: string; code: string; needed?: number; available?: number };
    return { name: err.name, code: err.code, ...(err.needed !== undefined ? { needed: err.needed, available: err.available } : {}) };
  }
}

const api = {
  async save(kind: StoreKind, data: number[], maxBytes: number) {
    const store = await open(kind, maxBytes);
    const entry = await store.put('chat-1', Uint8Array.from(data));
    const tooBig = await failure(store.put('chat-2', new Uint8Array(maxBytes - data.length + 1)));
    const badKey = await failure(store.put('../x', new Uint8Array(1)));
    return { entry, tooBig, badKey, list: await store.list(), usage: await store.usage() };
  },
  async load(kind: StoreKind) {
    const store = await open(kind);
    const bytes = await store.get('chat-1');
    return { bytes: bytes ? Array.from(bytes) : null, missing: (await store.get('nothing')) ?? null };
  },
  async remove(kind: StoreKind) {
    const store = await open(kind);
    return { first: await store.delete('chat-1'), second: await store.delete('chat-1'), list: await store.list() };
  },
};

(globalThis as unknown as { kvkitStore: typeof api }).kvkitStore = api;
