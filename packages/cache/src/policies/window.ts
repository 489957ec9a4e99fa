import { InvalidArgumentError } from '@kvkit/tensor';
import { BudgetTooSmallError } from '../errors.js';
import { oldestSlots, slotsExcept } from './age-order.js';
import { keepAll, layerReport, type LayerSelection } from './report.js';
import { checkStats, type PrefillStats } from './stats.js';
import { checkBudget, requireInt } from './validate.js';

/** Sliding window (spec §2): the last `window` tokens, a ring buffer. */
export interface WindowParams {
  readonly window: number;
}

export interface WindowPolicy extends WindowParams {
  readonly kind: 'window';
}

/** Prefill: the last `min(budget, window)` prompt tokens in every KV head. */
export function windowSelect(stats: PrefillStats, params: WindowParams, budget: number, layer = 0): LayerSelection {
  requireInt('window', 'window', params.window, 1);
  checkStats(stats, 'none');
  checkBudget('window', budget, 1, 'newest token');
  const keep = Math.min(budget, params.window);
  const { n, nKvHeads } = stats;
  if (n <= keep) return keepAll(layer, n, nKvHeads, keep);
  const last = Array.from({ length: keep }, (_, i) => n - keep + i);
  const kept = Array.from({ length: nKvHeads }, () => last.slice());
  return { kept, report: layerReport(layer, n, kept, keep, false) };
}

/**
 * Decoding: the held slots to keep (ascending) so that `incoming` more tokens fit in `window`:
 * the `window - incoming` newest by position.
 */
export function windowEvict(positions: Int32Array, window: number, incoming = 1): number[] {
  requireInt('window', 'window', window, 1);
  if (!Number.isSafeInteger(incoming) || incoming < 0) throw new InvalidArgumentError(`bad incoming count ${incoming}`);
  if (incoming > window) throw new BudgetTooSmallError(`window: ${incoming} incoming tokens exceed the window of ${window}`);
  return newest(positions, window - incoming);
}

/** Slots of the `count` largest positions (all when fewer; on equal positions the lower slot counts as newer), ascending slot order. */
export function newest(positions: Int32Array, count: number): number[] {
  const len = positions.length;
  return slotsExcept(len, oldestSlots(positions, len - Math.max(0, count), 'higherOlder'));
}
