import { keepAll, type LayerSelection } from './report.js';
import { checkStats, type PrefillStats } from './stats.js';

/** Keep everything (spec §1); the layout preallocates `maxTokens` and writes in place. */
export interface FullPolicy {
  readonly kind: 'full';
}

/** Every prompt position in every KV head; reported as "no compression needed" with budget `n`. */
export function fullSelect(stats: PrefillStats, layer = 0): LayerSelection {
  checkStats(stats, 'none');
  return keepAll(layer, stats.n, stats.nKvHeads, stats.n);
}
