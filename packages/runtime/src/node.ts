// Node-only helpers of @kvkit/runtime (the main entry stays browser-safe).
export { createFileSnapshotStore, loadSnapshot, saveSnapshot, SnapshotNotFoundError } from './store/file-store.js';
