import { InvalidArgumentError } from '@kvkit/tensor';
import { BudgetTooSmallError } from '../errors.js';
import { oldestSlots, slotsExcept } from './age-order.js';
import { keepAll, layerReport, type LayerSelection } from './report.js';
import { checkStats, type PrefillStats } from './stats.js';
import { checkBudget, requireInt } from './validate.js';

/**
 * StreamingLLM attention sinks (spec §3): `sinks` first tokens plus `recent` newest. `recent` is
 * optional: a token budget `B` (which includes the sinks) gives `recent = B - sinks`.
 */
export interface StreamingParams {
  readonly sinks: number;
  readonly recent?: number;
}

export const STREAMING_DEFAULTS = { sinks: 4 } as const;

/** The reference class's recent size, used when neither `recent` nor a budget is given. */
export const STREAMING_CLASS_RECENT = 512;

export interface StreamingPolicy extends StreamingParams {
  readonly kind: 'streaming';
}

export function checkStreaming(p: StreamingParams): StreamingParams {
  requireInt('streaming', 'sinks', p.sinks, 0);
  if (p.recent !== undefined) requireInt('streaming', 'recent', p.recent, 0);
  return p;
}

/** Sinks and recent counts for a per-layer budget (`sinks + recent <= B`; a given `recent` caps it). */
export function streamingSplit(p: StreamingParams, budget?: number): { sinks: number; recent: number } {
  if (budget === undefined) return { sinks: p.sinks, recent: p.recent ?? STREAMING_CLASS_RECENT };
  checkBudget('streaming', budget, p.sinks, 'attention sinks');
  const recent = budget - p.sinks;
  return { sinks: p.sinks, recent: p.recent !== undefined ? Math.min(recent, p.recent) : recent };
}

/** Prefill: `[0, s) U [n - r, n)` in every KV head (drops the oldest non-sink tokens). */
export function streamingSelect(stats: PrefillStats, params: StreamingParams, budget: number, layer = 0): LayerSelection {
  checkStreaming(params);
  checkStats(stats, 'none');
  const { sinks, recent } = streamingSplit(params, budget);
  const { n, nKvHeads } = stats;
  const limit = sinks + recent;
  if (n <= limit) return keepAll(layer, n, nKvHeads, limit);
  const positions: number[] = [];
  for (let j = 0; j < sinks; j++) positions.push(j);
  for (let j = n - recent; j < n; j++) positions.push(j);
  const kept = Array.from({ length: nKvHeads }, () => positions.slice());
  return { kept, report: layerReport(layer, n, kept, limit, false) };
}

/**
 * Decoding (the reference's `evict_for_space`): the held slots to keep (ascending) so that `incoming`
 * more tokens fit in `sinks + recent`: the `sinks` oldest by position (the sinks survive any earlier
 * compression, so "oldest" rather than "position < sinks") plus the `recent - incoming` newest.
 */
export function streamingEvict(positions: Int32Array, sinks: number, recent: number, incoming = 1): number[] {
  requireInt('streaming', 'sinks', sinks, 0);
  requireInt('streaming', 'recent', recent, 0);
  if (!Number.isSafeInteger(incoming) || incoming < 0) throw new InvalidArgumentError(`bad incoming count ${incoming}`);
  const len = positions.length;
  if (len + incoming <= sinks + recent) return Array.from({ length: len }, (_, i) => i);
  if (incoming > recent) throw new BudgetTooSmallError(`streaming: ${incoming} incoming tokens exceed the ${recent} recent slots`);
  // By age, the first `sinks` slots stay, the next `drop` go, the rest (the newest) stay.
  const drop = Math.max(0, len - sinks - (recent - incoming));
  return slotsExcept(len, oldestSlots(positions, sinks + drop).subarray(Math.min(sinks, len)));
}
