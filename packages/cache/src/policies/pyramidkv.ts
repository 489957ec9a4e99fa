import { combine, type PrefillSelection } from './report.js';
import { checkWindowScoring, type WindowScoring } from './scoring.js';
import { snapkvKeep } from './snapkv.js';
import { checkSamePrompt, checkStats, type PrefillStats } from './stats.js';
import { checkBudget, requireInt } from './validate.js';

/** PyramidKV (spec §7): SnapKV scoring with SnapKV's defaults, `beta = 20`. */
export interface PyramidKVParams extends WindowScoring {
  readonly beta: number;
}

export const PYRAMIDKV_DEFAULTS: Readonly<PyramidKVParams> = { window: 32, kernel: 5, pooling: 'avg', gqa: 'mean', beta: 20 };

export interface PyramidKVPolicy extends PyramidKVParams {
  readonly kind: 'pyramidkv';
}

/**
 * Scored tokens kept per head in each of `L` layers (window excluded), or `null` when `n <= B`
 * (no compression). Integer divisions exactly as the reference; `L = 1` uses step 0 where the
 * reference would divide by zero.
 */
export function pyramidBudgets(L: number, budget: number, window: number, beta: number, n: number): number[] | null {
  if (n <= budget) return null;
  const base = budget - window;
  if (n < 2 * base) return new Array<number>(L).fill(base); // plain SnapKV with budget B
  let min = Math.floor(base / beta);
  let max = 2 * base - min;
  if (max >= n - window) {
    max = n - window;
    min = 2 * base - max;
  }
  const step = L > 1 ? Math.floor((max - min) / (L - 1)) : 0;
  return Array.from({ length: L }, (_, l) => max - l * step);
}

/** PyramidKV over all cache layers of one prompt (`layers[l]` is depth `l`). */
export function pyramidkvSelect(layers: readonly PrefillStats[], params: PyramidKVParams, budget: number): PrefillSelection {
  checkWindowScoring('pyramidkv', params);
  requireInt('pyramidkv', 'beta', params.beta, 1);
  layers.forEach((s) => checkStats(s));
  checkSamePrompt(layers);
  checkBudget('pyramidkv', budget, params.window, 'observation window');
  const n = layers[0]?.n ?? 0;
  const keep = pyramidBudgets(layers.length, budget, params.window, params.beta, n);
  return combine(
    layers.map((stats, l) => {
      const k = keep ? keep[l]! : budget - params.window;
      return snapkvKeep(stats, params, k, l, k + params.window);
    }),
  );
}
