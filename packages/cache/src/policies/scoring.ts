import { InvalidPolicyConfigError } from '../errors.js';
import { gqaReduce, pool1d, rankDescending, type GqaReduce, type Pooling } from './select.js';
import type { PrefillStats } from './stats.js';
import { requireInt, requireOneOf } from './validate.js';

/** The observation-window scoring that SnapKV, PyramidKV, Ada-KV and DynamicKV share (spec §6). */
export interface WindowScoring {
  /** Observation window `w`: the last `w` prompt queries, always kept. */
  readonly window: number;
  /** Pooling kernel `k` (odd). */
  readonly kernel: number;
  readonly pooling: Pooling;
  /** Query heads to KV head (spec §0). */
  readonly gqa: GqaReduce;
}

export function checkWindowScoring(policy: string, p: WindowScoring): WindowScoring {
  requireInt(policy, 'window', p.window, 1);
  requireInt(policy, 'kernel', p.kernel, 1);
  if (p.kernel % 2 === 0) {
    // PyTorch's pooling with padding k//2 returns n+1 outputs for an even k; no reference uses one.
    throw new InvalidPolicyConfigError(`${policy}: kernel must be odd, got ${p.kernel}`);
  }
  requireOneOf(policy, 'pooling', p.pooling, ['avg', 'max'] as const);
  requireOneOf(policy, 'gqa', p.gqa, ['mean', 'max'] as const);
  return p;
}

/**
 * Pooled window scores `[nKvHeads * (n - w)]` for positions `j < n - w`: window sums (divided by
 * `w` when `average`, as Ada-KV's mean), reduced to KV heads, then pooled over the `n - w` prefix
 * with zero/-inf padding at both ends, exactly as the references slice `[..., :-w]` before pooling.
 * GQA reduction comes before pooling, as Ada-KV's GQA support does (it matters for max pooling).
 */
export function windowScores(stats: PrefillStats, p: WindowScoring, average = false): Float64Array {
  const m = stats.n - p.window;
  if (m <= 0) return new Float64Array(0);
  let src: ArrayLike<number> = stats.windowSums;
  if (average) {
    const a = new Float64Array(stats.windowSums.length);
    for (let i = 0; i < a.length; i++) a[i] = stats.windowSums[i]! / p.window;
    src = a;
  }
  const reduced = gqaReduce(src, stats.nHeads, stats.nKvHeads, stats.n, p.gqa, m);
  return pool1d(reduced, p.kernel, p.pooling, m);
}

/** Best-first order of each KV head's row of `scores` (`[nKvHeads * m]`). */
export function rankRows(scores: Float64Array, nKvHeads: number, m: number): Int32Array[] {
  return Array.from({ length: nKvHeads }, (_, kh) => rankDescending(scores, kh * m, m));
}

/** Per KV head: the first `counts[kh]` of its order (ascending) followed by the window `[n - w, n)`. */
export function keepWithWindow(orders: readonly Int32Array[], counts: readonly number[], n: number, window: number): number[][] {
  return orders.map((order, kh) => {
    const take = Math.min(counts[kh]!, order.length);
    const kept = Array.from(order.subarray(0, take));
    kept.sort((a, b) => a - b);
    for (let j = Math.max(0, n - window); j < n; j++) kept.push(j);
    return kept;
  });
}
