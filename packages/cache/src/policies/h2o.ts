import { InvalidArgumentError, ShapeMismatchError } from '@kvkit/tensor';
import { BudgetTooSmallError, InvalidPolicyConfigError } from '../errors.js';
import { keepAll, layerReport, type LayerSelection } from './report.js';
import { allByAge, slotsExceptWorst } from './age-order.js';
import { gqaReduce, rankDescending, type GqaReduce } from './select.js';
import { checkStats, type PrefillStats } from './stats.js';
import { checkBudget, requireInt, requireOneOf } from './validate.js';

/**
 * H2O heavy hitters (spec §4). `heavy`/`recent` are optional because a token budget usually fixes
 * them: see `h2oSplit`. `normalize` is the "observed attention" variant of the prefill scores.
 */
export interface H2OParams {
  readonly heavy?: number;
  readonly recent?: number;
  readonly normalize: boolean;
  readonly gqa: GqaReduce;
}

export const H2O_DEFAULTS: Readonly<H2OParams> = { normalize: false, gqa: 'mean' };

/** The reference class defaults, used when no token budget is given. */
export const H2O_CLASS_DEFAULTS = { heavy: 4, recent: 512 } as const;

export interface H2OPolicy extends H2OParams {
  readonly kind: 'h2o';
}

export function checkH2O(p: H2OParams): H2OParams {
  if (p.heavy !== undefined) requireInt('h2o', 'heavy', p.heavy, 0);
  if (p.recent !== undefined) requireInt('h2o', 'recent', p.recent, 0);
  if (typeof p.normalize !== 'boolean') throw new InvalidPolicyConfigError(`h2o: normalize must be a boolean, got ${String(p.normalize)}`);
  requireOneOf('h2o', 'gqa', p.gqa, ['mean', 'max'] as const);
  return p;
}

/**
 * Heavy-hitter and recent counts for a per-layer token budget `B` (`hh + r <= B`):
 * - `recent` given: `r = recent`, `hh = B - r` (at most `heavy` when that is given too);
 * - only `heavy` given: `hh = heavy`, `r = B - hh`;
 * - neither: H2O's own even split (its ratio mode uses `hh = r = 0.1 n`): `r = floor(B / 2)`,
 *   `hh = B - r`;
 * - no budget: the values given, else the reference class defaults (`hh = 4`, `r = 512`).
 */
export function h2oSplit(p: Pick<H2OParams, 'heavy' | 'recent'>, budget?: number): { heavy: number; recent: number } {
  if (budget === undefined) return { heavy: p.heavy ?? H2O_CLASS_DEFAULTS.heavy, recent: p.recent ?? H2O_CLASS_DEFAULTS.recent };
  checkBudget('h2o', budget, h2oMinimumBudget(p), p.recent !== undefined ? 'recent window' : 'heavy hitters');
  if (p.recent !== undefined) {
    const heavy = budget - p.recent;
    return { heavy: p.heavy !== undefined ? Math.min(heavy, p.heavy) : heavy, recent: p.recent };
  }
  if (p.heavy !== undefined) return { heavy: p.heavy, recent: budget - p.heavy };
  const recent = Math.floor(budget / 2);
  return { heavy: budget - recent, recent };
}

/** The smallest budget `h2oSplit` accepts. */
export function h2oMinimumBudget(p: Pick<H2OParams, 'heavy' | 'recent'>): number {
  return p.recent ?? p.heavy ?? 0;
}

/**
 * Prefill-only H2O (the KV-compression toolkits' variant): per KV head, the column sums of the causal
 * prompt attention over all queries for `j < n - r` (divided by `n - j`, the queries that can see
 * `j`, when `normalize`), top `hh` of them plus the last `r` tokens.
 */
export function h2oSelect(stats: PrefillStats, params: H2OParams, budget: number, layer = 0): LayerSelection {
  checkH2O(params);
  checkStats(stats, 'column');
  const { heavy, recent } = h2oSplit(params, budget);
  const { n, nKvHeads } = stats;
  const limit = heavy + recent;
  if (n <= limit) return keepAll(layer, n, nKvHeads, limit);
  const m = n - recent;
  const kvScores = h2oPrefillScores(stats, params, m);
  const kept = Array.from({ length: nKvHeads }, (_, kh) => {
    const order = rankDescending(kvScores, kh * m, m);
    const k = Array.from(order.subarray(0, heavy)).sort((a, b) => a - b);
    for (let j = m; j < n; j++) k.push(j);
    return k;
  });
  return { kept, report: layerReport(layer, n, kept, limit, false) };
}

/**
 * Per-KV-head H2O scores `[nKvHeads * cols]` of the prompt (`cols <= n`). Without `normalize` these
 * are the accumulated scores that decoding continues with (`h2oAccumulate`).
 */
export function h2oPrefillScores(stats: PrefillStats, params: Pick<H2OParams, 'normalize' | 'gqa'>, cols = stats.n): Float64Array {
  checkStats(stats, 'column');
  const { n, nHeads } = stats;
  const cs = stats.columnSums!;
  let src: ArrayLike<number> = cs;
  if (params.normalize) {
    const a = new Float64Array(cs.length);
    for (let h = 0; h < nHeads; h++) for (let j = 0; j < n; j++) a[h * n + j] = cs[h * n + j]! / (n - j);
    src = a;
  }
  return gqaReduce(src, nHeads, stats.nKvHeads, n, params.gqa, cols);
}

/** Adds one decoding step's attention row (already reduced to this KV head, one entry per held slot). */
export function h2oAccumulate(scores: Float64Array, row: ArrayLike<number>): void {
  if (row.length !== scores.length) throw new ShapeMismatchError(`row of ${row.length} for ${scores.length} scores`);
  for (let i = 0; i < scores.length; i++) scores[i]! += row[i]!;
}

/**
 * Decoding eviction for one KV head: the held slots to keep (ascending logical slot indices) so that
 * `incoming` more tokens fit in `heavy + recent`: the newest `recent - incoming` slots by position
 * plus the `heavy` best-scored older ones (ties to the lower position). The reference evicts after
 * the step, with the new token's attention already accumulated: call with `incoming = 0` then.
 * Evicted slots' scores are dropped by the caller with the slots.
 */
export function h2oEvict(scores: ArrayLike<number>, positions: Int32Array, heavy: number, recent: number, incoming = 1): number[] {
  requireInt('h2o', 'heavy', heavy, 0);
  requireInt('h2o', 'recent', recent, 0);
  if (!Number.isSafeInteger(incoming) || incoming < 0) throw new InvalidArgumentError(`bad incoming count ${incoming}`);
  const len = positions.length;
  if (scores.length !== len) throw new ShapeMismatchError(`${scores.length} scores for ${len} slots`);
  if (len + incoming <= heavy + recent) return Array.from({ length: len }, (_, i) => i);
  if (incoming > heavy + recent) throw new BudgetTooSmallError(`h2o: ${incoming} incoming tokens exceed heavy + recent = ${heavy + recent}`);
  const keepRecent = Math.max(0, recent - incoming);
  const keepHeavy = heavy - Math.max(0, incoming - recent);
  // The older slots: all but the keepRecent newest, where on equal positions the lower slot is the
  // newer. In the ascending age order (ties: lower slot first) they are a prefix, except that a run of
  // equal positions across the boundary contributes its highest slots. Kept ascending so that score
  // ties go to the lower position; the worst-scored of them go.
  const age = allByAge(positions);
  const split = len - keepRecent;
  let g0 = split;
  let g1 = split;
  if (split > 0 && split < len && positions[age[split - 1]!] === positions[age[split]!]) {
    const p = positions[age[split]!]!;
    while (g0 > 0 && positions[age[g0 - 1]!] === p) g0--;
    while (g1 < len && positions[age[g1]!] === p) g1++;
  }
  const older = new Int32Array(split);
  older.set(age.subarray(0, g0));
  older.set(age.subarray(g1 - (split - g0), g1), g0);
  return slotsExceptWorst(len, older, (slot) => scores[slot]!, split - keepHeavy);
}
