export * from './cache-errors.js';
export * from './kv-cache.js';
export { LayerKv } from './layouts/layer-kv.js';
export { PagePool } from './layouts/page-pool.js';
