export { checkSnapshotKey, SnapshotQuotaError, SnapshotStoreError } from './snapshot-store.js';
export type { SnapshotEntry, SnapshotStore, SnapshotStoreOptions } from './snapshot-store.js';
export { createOpfsSnapshotStore } from './opfs-store.js';
export type { OpfsSnapshotStoreOptions } from './opfs-store.js';
export { createIndexedDbSnapshotStore } from './indexeddb-store.js';
export type { IndexedDbSnapshotStoreOptions } from './indexeddb-store.js';
