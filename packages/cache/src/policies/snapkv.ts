import { keepAll, layerReport, type LayerSelection } from './report.js';
import { checkWindowScoring, keepWithWindow, rankRows, windowScores, type WindowScoring } from './scoring.js';
import { checkStats, type PrefillStats } from './stats.js';
import { checkBudget } from './validate.js';

/** SnapKV (spec §6). Defaults of the reference code: `w = 32`, `k = 5`, avg pooling. */
export type SnapKVParams = WindowScoring;

export const SNAPKV_DEFAULTS: Readonly<SnapKVParams> = { window: 32, kernel: 5, pooling: 'avg', gqa: 'mean' };

export interface SnapKVPolicy extends SnapKVParams {
  readonly kind: 'snapkv';
}

/**
 * One layer of SnapKV: per KV head the top `budget - w` positions `j < n - w` by pooled window
 * score, plus the window. `n <= budget` keeps everything (the reference's `n < B` test; at `n == B`
 * its top-k of all `B - w` scores keeps everything too).
 */
export function snapkvSelect(stats: PrefillStats, params: SnapKVParams, budget: number, layer = 0): LayerSelection {
  checkWindowScoring('snapkv', params);
  checkStats(stats);
  checkBudget('snapkv', budget, params.window, 'observation window');
  return snapkvKeep(stats, params, budget - params.window, layer, budget);
}

/** SnapKV keeping `keep` scored positions per head (PyramidKV passes its per-layer count). */
export function snapkvKeep(stats: PrefillStats, params: SnapKVParams, keep: number, layer: number, reportBudget: number): LayerSelection {
  const { n, nKvHeads } = stats;
  if (n <= keep + params.window) return keepAll(layer, n, nKvHeads, reportBudget);
  const m = n - params.window;
  const orders = rankRows(windowScores(stats, params), nKvHeads, m);
  const kept = keepWithWindow(orders, new Array<number>(nKvHeads).fill(keep), n, params.window);
  return { kept, report: layerReport(layer, n, kept, reportBudget, false) };
}
