export { crc32 } from './crc32.js';
export { decodeContainer, encodeContainer, SNAPSHOT_MAGIC, SNAPSHOT_PREAMBLE_BYTES, SNAPSHOT_VERSION } from './container.js';
export type { DecodedContainer } from './container.js';
export { captureCache, planCacheRestore } from './cache-state.js';
export type { CacheRestorePlan, CacheSnapshotHeader } from './cache-state.js';
export { decodePolicyState, encodePolicyState } from './policy-state.js';
export type { PolicySnapshotHeader } from './policy-state.js';
export * from './snapshot-errors.js';
