import { InvalidArgumentError } from '@kvkit/tensor';
import { combine, keepAll, layerReport, type LayerSelection, type PrefillSelection } from './report.js';
import { checkWindowScoring, keepWithWindow, rankRows, windowScores, type WindowScoring } from './scoring.js';
import { topCountsPerGroup } from './select.js';
import { checkSamePrompt, checkStats, type PrefillStats } from './stats.js';
import { checkBudget, requireInt, requireNumber } from './validate.js';

/**
 * DynamicKV (spec §9), defaults of the authors' reference: `w = 8`, `k = 7`, avg pooling,
 * `r_max = 10`, an update every `m = 4` layers; `r_min = 0.1` only warns.
 */
export interface DynamicKVParams extends WindowScoring {
  readonly rMax: number;
  readonly m: number;
  readonly rMin: number;
}

export const DYNAMICKV_DEFAULTS: Readonly<DynamicKVParams> = {
  window: 8,
  kernel: 7,
  pooling: 'avg',
  gqa: 'mean',
  rMax: 10,
  m: 4,
  rMin: 0.1,
};

export interface DynamicKVPolicy extends DynamicKVParams {
  readonly kind: 'dynamickv';
}

/** Python's `a // b` on floats (CPython `float_floor_div`), so `int(budget // r)` matches bit for bit. */
export function pyFloorDiv(a: number, b: number): number {
  if (b === 0) throw new InvalidArgumentError('float floor division by zero');
  let mod = a % b; // C fmod: exact
  let div = (a - mod) / b;
  if (mod !== 0) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  }
  if (div === 0) return 0; // CPython returns a signed zero here; int() of it is 0 either way
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

/** One budget update (spec §9 step 2) after layer `l`; returns the new per-layer budgets of layers `0..l`. */
function update(
  scores: readonly Float64Array[],
  l: number,
  L: number,
  nKvHeads: number,
  cap: number,
  base: number,
  K: number,
): number[] | null {
  const total = base * nKvHeads * (l + 1);
  const inLayer = topCountsPerGroup(scores.slice(0, l + 1), total);
  const count = inLayer.map((c) => Math.floor(c / (l + 1)));
  if (l === L - 1) count[l]! += base * nKvHeads - count.reduce((a, b) => a + b, 0);
  const sumCount = count.reduce((a, b) => a + b, 0);
  if (sumCount <= 0) return null; // the reference would divide by zero; keep the earlier budgets
  const budgets = count.map((c) => Math.trunc(K * (c / sumCount)));
  const r = budgets.reduce((a, b) => a + b, 0) / (base * L);
  if (r === 0) return null; // idem
  const scaled = budgets.map((b) => Math.trunc(pyFloorDiv(b, r)));
  scaled[l]! += base * L - scaled.reduce((a, b) => a + b, 0);
  return scaled.map((b) => Math.min(b, cap));
}

/**
 * DynamicKV over all cache layers of one prompt. Every layer first keeps its top
 * `K = min(r_max (B - w), n - w)` per KV head; after layers `l % m == m - 1` the layers `0..l` are
 * re-budgeted and truncated (never grown back). kvkit's one deviation (spec §9): the update also runs
 * after the last layer when `L % m != 0`, so that every layer ends inside the budget. Ties in the
 * global top go to the lower (layer, KV head, position). `n <= B` keeps everything: every layer then
 * fits its budget and a reallocation could only drop tokens.
 */
export function dynamickvSelect(layers: readonly PrefillStats[], params: DynamicKVParams, budget: number): PrefillSelection {
  checkWindowScoring('dynamickv', params);
  requireNumber('dynamickv', 'rMax', params.rMax, 0, Number.MAX_SAFE_INTEGER, true);
  requireInt('dynamickv', 'm', params.m, 1);
  requireNumber('dynamickv', 'rMin', params.rMin, 0, 1);
  layers.forEach((s) => checkStats(s));
  checkSamePrompt(layers);
  checkBudget('dynamickv', budget, params.window, 'observation window');
  const L = layers.length;
  const n = layers[0]?.n ?? 0;
  const nKvHeads = layers[0]?.nKvHeads ?? 0;
  if (n <= budget) return combine(layers.map((s, l) => keepAll(l, n, s.nKvHeads, budget)));

  const w = params.window;
  const m = n - w;
  const base = budget - w;
  const K = Math.min(params.rMax * base, m);
  const scores = layers.map((s) => windowScores(s, params));
  const held = new Array<number>(L).fill(Math.floor(K));
  for (let l = 0; l < L; l++) {
    if (l % params.m !== params.m - 1 && l !== L - 1) continue;
    const budgets = update(scores, l, L, nKvHeads, m, base, K);
    if (!budgets) continue;
    budgets.forEach((b, j) => (held[j] = Math.min(held[j]!, b)));
  }

  const selections: LayerSelection[] = layers.map((_, l) => {
    const kept = keepWithWindow(rankRows(scores[l]!, nKvHeads, m), new Array<number>(nKvHeads).fill(held[l]), n, w);
    const warnings = held[l]! < params.rMin * base ? [`layer ${l} keeps ${held[l]} < r_min * (B - w) = ${params.rMin * base} tokens per head`] : undefined;
    return { kept, report: layerReport(l, n, kept, held[l]! + w, false, warnings) };
  });
  return combine(selections);
}
