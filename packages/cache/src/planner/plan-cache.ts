// The byte plan of a model's K/V cache: every sharing scheme x storage format at a context, and what fits a budget.
import type { KvDtype } from '@kvkit/tensor';
import { bytesPerToken, cacheBytes } from '../bytes.js';
import { largestFitting } from '../budget.js';
import { kvSourceTrainingFree } from '../sharing/training-free.js';
import { PLANNED_KV_DTYPES } from './kv-dtype-quality.js';
import type { CacheMap } from './plan-layout.js';
import { peakCacheBytes } from '../bytes.js';
import { marginalBytesPerToken, planLayout } from './plan-layout.js';
import type { PlannerModel } from './planner-model.js';
import { checkBytes, checkTokens } from './planner-model.js';
import type { CacheRecommendation } from './recommend-cache.js';
import { recommendCache } from './recommend-cache.js';
import type { SharingSchemeName } from './sharing-schemes.js';
import { sharingSchemes } from './sharing-schemes.js';

export interface PlanOptions {
  /** Tokens the cache must hold. */
  readonly context: number;
  /** A byte budget for the whole cache: adds what fits and a recommendation. */
  readonly maxBytes?: number;
  /** Only this storage format. */
  readonly kvDtype?: KvDtype;
}

/** How the checkpoint's cache would be shared: as trained, training-free on this checkpoint, or a scheme to train. */
export type PlanSharing = 'as trained' | 'training-free' | SharingSchemeName;

export interface PlanRow {
  readonly sharing: PlanSharing;
  /** The sharing with its parameters, e.g. `MQA (1 KV head)`. */
  readonly label: string;
  /** Needs a model trained that way (true) or works on this checkpoint as is (false). */
  readonly retrain: boolean;
  readonly kvDtype: KvDtype;
  /** Steady-state bytes of one more token (KIVI's full-precision residual and full windows excluded). */
  readonly bytesPerToken: number;
  /** Exact bytes of the whole cache at the context. */
  readonly bytesAtContext: number;
  /** With a budget: the cache stays within it all the way to the context. */
  readonly fitsContext?: boolean;
  /** With a budget: the most tokens per layer the cache can grow to within it (for an eviction policy), at most the context. */
  readonly tokensWithinBudget?: number;
  readonly note: string;
}

export interface CachePlan {
  readonly context: number;
  readonly maxBytes?: number;
  readonly rows: readonly PlanRow[];
  /** With a budget: what to run on this checkpoint. */
  readonly recommendation?: CacheRecommendation;
  /** With a budget too small for this checkpoint: the cheapest-to-lose scheme to train instead, if one fits. */
  readonly retrainInstead?: PlanRow;
}

interface PlanMap extends CacheMap {
  readonly sharing: PlanSharing;
  readonly label: string;
  readonly retrain: boolean;
  readonly note: string;
}

/**
 * The maps a plan compares: the model as trained, training-free sharing (odd layers reuse layer
 * l - 1's K/V), and every scheme of `sharingSchemes` that stores less per token than the model does.
 */
function planMaps(model: PlannerModel): PlanMap[] {
  const L = model.nLayers;
  const asTrained: PlanMap = { sharing: 'as trained', label: `as trained (${model.nKvHeads} KV heads)`, retrain: false, kvSource: [...model.kvSource], nKvHeads: model.nKvHeads, ...(model.slidingWindow ? { slidingWindow: model.slidingWindow } : {}), note: 'this checkpoint' };
  const maps = [asTrained];
  if (L > 1) {
    const odd = Array.from({ length: Math.floor(L / 2) }, (_, i) => 2 * i + 1);
    maps.push({ sharing: 'training-free', label: 'training-free: odd layers reuse l-1', retrain: false, kvSource: kvSourceTrainingFree(L, odd), nKvHeads: model.nKvHeads, note: 'changes the outputs: measure perplexity first' });
  }
  const perToken = (m: CacheMap) => marginalBytesPerToken(planLayout(m, model.headDim, 'f32'));
  const own = perToken(asTrained);
  for (const s of sharingSchemes(model)) {
    if (perToken(s) < own) maps.push({ sharing: s.name, label: s.label, retrain: true, kvSource: s.kvSource, nKvHeads: s.nKvHeads, ...(s.slidingWindow ? { slidingWindow: s.slidingWindow } : {}), note: 'needs a model trained this way' });
  }
  return maps;
}

/**
 * Bytes per token and at `context` for every sharing x storage format of a model; with `maxBytes`,
 * whether each fits, how many tokens each keeps within it, and a recommendation for the model as
 * trained (`recommendCache`).
 */
export function planCache(model: PlannerModel, opts: PlanOptions): CachePlan {
  const context = checkTokens('context', opts.context);
  const maxBytes = opts.maxBytes === undefined ? undefined : checkBytes(opts.maxBytes);
  const dtypes = PLANNED_KV_DTYPES.filter((d) => opts.kvDtype === undefined || d.kvDtype === opts.kvDtype);
  const formats = dtypes.length ? dtypes : [{ kvDtype: opts.kvDtype!, note: '' }];
  const rows: PlanRow[] = planMaps(model).flatMap((m) =>
    formats.map(({ kvDtype, note }) => {
      const layout = planLayout(m, model.headDim, kvDtype);
      const atContext = cacheBytes(layout, context);
      const budget =
        maxBytes === undefined
          ? {}
          : { fitsContext: peakCacheBytes(layout, context) <= maxBytes, tokensWithinBudget: Math.max(0, largestFitting((t) => peakCacheBytes(layout, t), maxBytes, context)) };
      return { sharing: m.sharing, label: m.label, retrain: m.retrain, kvDtype, bytesPerToken: bytesPerToken(layout), bytesAtContext: atContext, ...budget, note: [m.note, note].filter(Boolean).join('; ') };
    }),
  );
  if (maxBytes === undefined) return { context, rows };
  const recommendation = recommendCache(model, context, maxBytes, opts.kvDtype === undefined ? undefined : [opts.kvDtype]);
  const retrainInstead = recommendation.kind === 'too-small' ? rows.find((r) => r.retrain && r.fitsContext) : undefined;
  return { context, maxBytes, rows, recommendation, ...(retrainInstead ? { retrainInstead } : {}) };
}
