export * from './rng.js';
export * from './allclose.js';
export * as ref from './reference/ops.js';
export type { HostKvView, AttentionReferenceOptions, AttentionReferenceResult, RopeReferenceOptions } from './reference/ops.js';
export * from './reference/llama.js';
export * from './random-model.js';
export * from './random-view.js';
export * from './conformance.js';
export { quantizeModel } from './quantize-model.js';
