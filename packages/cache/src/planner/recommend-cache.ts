// The choice of storage format and eviction for a byte budget, for the model as trained.
import type { KiviParams } from '../bytes.js';
import { largestFitting } from '../budget.js';
import { minimumBudget } from '../policies/config.js';
import type { CachePolicyOptions } from '../policy-runner.js';
import type { KvDtype } from '@kvkit/tensor';
import { peakCacheBytes } from '../bytes.js';
import { planLayout } from './plan-layout.js';
import type { PlannerModel } from './planner-model.js';

/** Below this many tokens per layer a cache is not worth running: the planner says the budget is too small. */
export const MIN_USEFUL_TOKENS = 16;

/** Formats a full cache may use, most exact first (KIVI-2 loses too much to be chosen without eviction pressure). */
const FULL_CACHE_DTYPES: readonly KvDtype[] = ['f32', 'f16', 'int8', 'kivi4'];
/**
 * Formats an evicting cache may use, most compact first. KIVI is left out: eviction leaves holes in
 * its quantised groups, so its bytes under eviction are not the formula's and a byte budget would
 * not be a promise.
 */
const EVICTING_DTYPES: readonly KvDtype[] = ['int8', 'f16', 'f32'];

export type CacheRecommendation =
  /** The whole context fits in this format: no eviction (`bytes`: the cache's peak, as everywhere here). */
  | { readonly kind: 'full-cache'; readonly kvDtype: KvDtype; readonly kivi?: KiviParams; readonly tokens: number; readonly bytes: number }
  /**
   * Evict to `tokens` per layer: `policy` (DynamicKV, recompressing while decoding so the cache never
   * holds more than `tokens`) for long prompts, `chatPolicy` (StreamingLLM) for endless chat.
   */
  | {
      readonly kind: 'evict';
      readonly kvDtype: KvDtype;
      readonly tokens: number;
      readonly share: number;
      readonly policy: CachePolicyOptions;
      readonly chatPolicy: CachePolicyOptions;
      readonly bytes: number;
    }
  /** Nothing useful fits this checkpoint; `minBytes` is what the smallest useful cache (`MIN_USEFUL_TOKENS` tokens per layer) needs. */
  | { readonly kind: 'too-small'; readonly kvDtype: KvDtype; readonly minBytes: number };

/**
 * Prefer what loses least: the full cache at the most exact format that holds `context` tokens in
 * `maxBytes`; else the most compact exact-bytes format with DynamicKV at the tokens that fit. The
 * DynamicKV budget leaves room for the tokens decoded between two recompressions (a quarter of the
 * kept tokens, at least its window), so the cache peaks at the kept tokens. `kvDtypes` limits the
 * formats considered.
 */
export function recommendCache(model: PlannerModel, context: number, maxBytes: number, kvDtypes?: readonly KvDtype[]): CacheRecommendation {
  const allowed = (d: KvDtype) => kvDtypes === undefined || kvDtypes.includes(d);
  for (const kvDtype of FULL_CACHE_DTYPES.filter(allowed)) {
    const layout = planLayout(model, model.headDim, kvDtype);
    const bytes = peakCacheBytes(layout, context);
    if (bytes <= maxBytes) return { kind: 'full-cache', kvDtype, ...(layout.kivi ? { kivi: { ...layout.kivi } as KiviParams } : {}), tokens: context, bytes };
  }
  const kvDtype = EVICTING_DTYPES.find(allowed) ?? kvDtypes?.[0] ?? 'int8';
  const layout = planLayout(model, model.headDim, kvDtype);
  const bytesAt = (t: number) => peakCacheBytes(layout, t);
  const kept = Math.max(0, largestFitting(bytesAt, maxBytes, context));
  const window = minimumBudget({ kind: 'dynamickv' });
  // DynamicKV needs its window both in the budget and between recompressions.
  const least = Math.max(MIN_USEFUL_TOKENS, 2 * window);
  if (kept < least || !EVICTING_DTYPES.includes(kvDtype)) return { kind: 'too-small', kvDtype, minBytes: bytesAt(least) };
  const interval = Math.max(window, Math.floor(kept / 4));
  return {
    kind: 'evict',
    kvDtype,
    tokens: kept,
    share: kept / context,
    policy: { policy: { kind: 'dynamickv' }, budget: { budget: kept - interval }, recompressInterval: interval },
    chatPolicy: { policy: { kind: 'streaming' }, budget: { budget: kept } },
    bytes: bytesAt(kept),
  };
}
