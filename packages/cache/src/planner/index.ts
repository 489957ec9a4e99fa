// The byte planner: which sharing, storage format and eviction fit a model's cache into a budget.
export { sharingSchemes, SHARING_SCHEMES, YOCO_WINDOW } from './sharing-schemes.js';
export type { AttentionShape, SharingScheme, SharingSchemeName, SharingSchemeOptions } from './sharing-schemes.js';
export { PLANNED_KV_DTYPES } from './kv-dtype-quality.js';
export { marginalBytesPerToken, planLayout } from './plan-layout.js';
export type { CacheMap } from './plan-layout.js';
export type { PlannerModel } from './planner-model.js';
export { MIN_USEFUL_TOKENS, recommendCache } from './recommend-cache.js';
export type { CacheRecommendation } from './recommend-cache.js';
export { planCache } from './plan-cache.js';
export type { CachePlan, PlanOptions, PlanRow, PlanSharing } from './plan-cache.js';
export { chooseCacheForBytes } from './choose-cache.js';
export type { CacheChoice } from './choose-cache.js';
