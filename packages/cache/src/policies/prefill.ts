import { InvalidPolicyConfigError } from '../errors.js';
import { adakvSelect } from './adakv.js';
import { resolvePolicy, type PolicyInput } from './config.js';
import { dynamickvSelect } from './dynamickv.js';
import { fullSelect } from './full.js';
import { h2oSelect } from './h2o.js';
import { pyramidkvSelect } from './pyramidkv.js';
import { combine, type LayerSelection, type PrefillSelection } from './report.js';
import { snapkvSelect } from './snapkv.js';
import type { PrefillStats } from './stats.js';
import { streamingSelect } from './streaming.js';
import { tovaSelect } from './tova.js';
import { windowSelect } from './window.js';

/** A per-layer token budget, window and sinks included (resolve ratios and bytes with `resolveBudget`). */
export interface TokenBudget {
  readonly tokens: number;
}

/**
 * One-shot compression of the prompt (`afterPrefill`, spec §0): which positions every cache layer
 * and KV head keeps, and a report per layer. `layers[l]` are the statistics of cache layer `l`, in
 * depth order (PyramidKV and DynamicKV use all layers together; the others select layer by layer).
 * Pure: the layout compacts the storage from `kept`. Takes a resolved `PolicyConfig` or any
 * `PolicyInput` (defaults are filled and parameters validated here either way).
 */
export function selectPrefill(policy: PolicyInput, layers: readonly PrefillStats[], budget: TokenBudget): PrefillSelection {
  const p = resolvePolicy(policy);
  const B = budget.tokens;
  const each = (f: (stats: PrefillStats, layer: number) => LayerSelection): PrefillSelection => combine(layers.map(f));
  switch (p.kind) {
    case 'full':
      return each((s, l) => fullSelect(s, l));
    case 'window':
      return each((s, l) => windowSelect(s, p, B, l));
    case 'streaming':
      return each((s, l) => streamingSelect(s, p, B, l));
    case 'h2o':
      return each((s, l) => h2oSelect(s, p, B, l));
    case 'tova':
      return each((s, l) => tovaSelect(s, B, l));
    case 'snapkv':
      return each((s, l) => snapkvSelect(s, p, B, l));
    case 'adakv':
      return each((s, l) => adakvSelect(s, p, B, l));
    case 'pyramidkv':
      return pyramidkvSelect(layers, p, B);
    case 'dynamickv':
      return dynamickvSelect(layers, p, B);
    default:
      throw new InvalidPolicyConfigError(`unknown policy kind ${String((p satisfies never as { kind?: unknown }).kind)}`);
  }
}
