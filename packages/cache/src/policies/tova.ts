import { InvalidArgumentError, ShapeMismatchError } from '@kvkit/tensor';
import { keepAll, layerReport, type LayerSelection } from './report.js';
import { allByAge, slotsExceptWorst } from './age-order.js';
import { topK } from './select.js';
import { checkStats, type PrefillStats } from './stats.js';
import { checkBudget, requireInt } from './validate.js';

/** TOVA (spec §5): one selection per layer, shared by all heads. The reference example uses `C = 512`. */
export interface TovaPolicy {
  readonly kind: 'tova';
}

export const TOVA_EXAMPLE_CAPACITY = 512;

/** Mean over `nHeads` rows of `len` (`[nHeads * len]`, head major): TOVA's score of each slot. */
export function meanOverHeads(rows: ArrayLike<number>, nHeads: number, len: number): Float64Array {
  if (rows.length !== nHeads * len) throw new ShapeMismatchError(`expected ${nHeads} x ${len} entries, got ${rows.length}`);
  const out = new Float64Array(len);
  for (let h = 0; h < nHeads; h++) for (let j = 0; j < len; j++) out[j]! += rows[h * len + j]!;
  for (let j = 0; j < len; j++) out[j]! /= nHeads;
  return out;
}

/**
 * Prefill: the top `budget` positions by the last prompt query's attention averaged over all query
 * heads. The runtime passes that last row as `windowSums` (statistics with `w = 1`); every KV head
 * gets the same positions.
 */
export function tovaSelect(stats: PrefillStats, budget: number, layer = 0): LayerSelection {
  checkStats(stats);
  checkBudget('tova', budget, 1, 'newest token');
  const { n, nKvHeads, nHeads } = stats;
  if (n <= budget) return keepAll(layer, n, nKvHeads, budget);
  const shared = topK(meanOverHeads(stats.windowSums, nHeads, n), budget);
  const kept = Array.from({ length: nKvHeads }, () => shared.slice());
  return { kept, report: layerReport(layer, n, kept, budget, false) };
}

/**
 * Decoding: the held slots to keep (ascending) so that `incoming` more tokens fit in `capacity`,
 * dropping the lowest mean-over-heads attention of the last query (one selection for the layer).
 * Ties keep the lower position when `positions` (of the slots) is given, else the lower slot. The
 * reference scores after the step, the new token included: call with `incoming = 0` then.
 */
export function tovaEvict(meanLastRow: ArrayLike<number>, capacity: number, incoming = 1, positions?: Int32Array): number[] {
  requireInt('tova', 'capacity', capacity, 0);
  if (!Number.isSafeInteger(incoming) || incoming < 0 || incoming > capacity) {
    throw new InvalidArgumentError(`bad incoming count ${incoming} for capacity ${capacity}`);
  }
  const len = meanLastRow.length;
  if (positions && positions.length !== len) throw new ShapeMismatchError(`${len} scores for ${positions.length} positions`);
  if (len + incoming <= capacity) return Array.from({ length: len }, (_, i) => i);
  // Slots by ascending position (so that score ties keep the lower position); the worst-scored go.
  const slots = positions ? allByAge(positions) : Int32Array.from({ length: len }, (_, i) => i);
  return slotsExceptWorst(len, slots, (slot) => meanLastRow[slot]!, len - (capacity - incoming));
}
