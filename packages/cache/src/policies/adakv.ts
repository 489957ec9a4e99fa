import { keepAll, layerReport, type LayerSelection } from './report.js';
import { checkWindowScoring, keepWithWindow, rankRows, windowScores, type WindowScoring } from './scoring.js';
import { topCountsPerGroup } from './select.js';
import { checkStats, type PrefillStats } from './stats.js';
import { checkBudget, requireNumber } from './validate.js';

/**
 * Ada-KV (spec §8), defaults of the reference `AdaptiveSnapKVCluster`: `w = 32`, `k = 7`, max
 * pooling, floor share `alpha = 0.2` (the reference runs' `floor_alpha`).
 */
export interface AdaKVParams extends WindowScoring {
  readonly alpha: number;
}

export const ADAKV_DEFAULTS: Readonly<AdaKVParams> = { window: 32, kernel: 7, pooling: 'max', gqa: 'mean', alpha: 0.2 };

export interface AdaKVPolicy extends AdaKVParams {
  readonly kind: 'adakv';
}

/** Round half to even, as `torch.round` (and Python's `round`). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Scored tokens per KV head (window excluded) from the per-head counts `c_h` of the layer's global
 * top `Hkv * base`: `round(c_h * (1 - alpha) + floor)`. The reference computes this on a float32
 * tensor (int tensor times a Python float), so the arithmetic is float32 here too.
 */
export function adakvHeadBudgets(counts: readonly number[], base: number, alpha: number, m: number): number[] {
  const floor = Math.trunc(base * alpha); // Python int() of a float64 product
  const share = Math.fround(1 - alpha);
  return counts.map((c) => {
    const x = Math.fround(Math.fround(Math.fround(c) * share) + floor);
    return Math.min(m, Math.max(0, roundHalfEven(x)));
  });
}

/**
 * One layer of Ada-KV: heads hold different numbers of tokens (ragged, spec §8). Ties in the global
 * top go to the lower KV head (the flattened order `torch.topk` sees). `n <= budget` keeps all;
 * the reference compresses at `n == B` too, where rounding can drop a token from a head that the
 * spec's "no compression needed" rule (§0) keeps.
 */
export function adakvSelect(stats: PrefillStats, params: AdaKVParams, budget: number, layer = 0): LayerSelection {
  checkWindowScoring('adakv', params);
  requireNumber('adakv', 'alpha', params.alpha, 0, 1);
  checkStats(stats);
  checkBudget('adakv', budget, params.window, 'observation window');
  const { n, nKvHeads } = stats;
  if (n <= budget) return keepAll(layer, n, nKvHeads, budget);
  const m = n - params.window;
  const base = budget - params.window;
  const scores = windowScores(stats, params, true);
  const rows = Array.from({ length: nKvHeads }, (_, kh) => scores.subarray(kh * m, (kh + 1) * m));
  const counts = topCountsPerGroup(rows, nKvHeads * base);
  const perHead = adakvHeadBudgets(counts, base, params.alpha, m);
  const kept = keepWithWindow(rankRows(scores, nKvHeads, m), perHead, n, params.window);
  return { kept, report: layerReport(layer, n, kept, budget, false) };
}
