// Cross-layer (kvSource) and head sharing maps (spec §11).
export { checkLayerCount, kvSourceFromOwners, kvSourceIdentity, sourceLayers, validateKvSource, type KvSource } from './kv-source.js';
export { kvSourceMlkv, mlkvOwners } from './mlkv.js';
export { kvSourceCla } from './cla.js';
export { kvSourceSharedTail } from './shared-tail.js';
export { yocoConfig, type YocoConfig } from './yoco.js';
export { kvSourceTrainingFree } from './training-free.js';
export { numKvHeads, type HeadSharing } from './heads.js';
