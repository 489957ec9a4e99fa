import { InvalidPolicyConfigError } from '../errors.js';
import { ADAKV_DEFAULTS, type AdaKVParams, type AdaKVPolicy } from './adakv.js';
import { DYNAMICKV_DEFAULTS, type DynamicKVParams, type DynamicKVPolicy } from './dynamickv.js';
import type { FullPolicy } from './full.js';
import { checkH2O, H2O_DEFAULTS, h2oMinimumBudget, type H2OParams, type H2OPolicy } from './h2o.js';
import { PYRAMIDKV_DEFAULTS, type PyramidKVParams, type PyramidKVPolicy } from './pyramidkv.js';
import { checkWindowScoring } from './scoring.js';
import { SNAPKV_DEFAULTS, type SnapKVParams, type SnapKVPolicy } from './snapkv.js';
import { checkStreaming, STREAMING_DEFAULTS, type StreamingParams, type StreamingPolicy } from './streaming.js';
import type { TovaPolicy } from './tova.js';
import { requireInt, requireNumber } from './validate.js';
import type { WindowPolicy } from './window.js';

/** A policy with every parameter resolved (spec §1-9). */
export type PolicyConfig =
  | FullPolicy
  | WindowPolicy
  | StreamingPolicy
  | H2OPolicy
  | TovaPolicy
  | SnapKVPolicy
  | PyramidKVPolicy
  | AdaKVPolicy
  | DynamicKVPolicy;

export type PolicyKind = PolicyConfig['kind'];

/** What a user writes: the kind plus any parameters; `resolvePolicy` fills the reference defaults. */
export type PolicyInput =
  | { readonly kind: 'full' }
  | { readonly kind: 'window'; readonly window: number }
  | ({ readonly kind: 'streaming' } & Partial<StreamingParams>)
  | ({ readonly kind: 'h2o' } & Partial<H2OParams>)
  | { readonly kind: 'tova' }
  | ({ readonly kind: 'snapkv' } & Partial<SnapKVParams>)
  | ({ readonly kind: 'pyramidkv' } & Partial<PyramidKVParams>)
  | ({ readonly kind: 'adakv' } & Partial<AdaKVParams>)
  | ({ readonly kind: 'dynamickv' } & Partial<DynamicKVParams>);

/** The parameters named in `defaults`, each from `input` unless undefined there (unknown keys are dropped). */
function withDefaults<T extends object>(defaults: T, input: Partial<T>): T {
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const v = input[key];
    if (v !== undefined) out[key] = v as T[keyof T];
  }
  return out;
}

/**
 * Fills the reference defaults of the policy's method and validates every parameter
 * (`InvalidPolicyConfigError`). Idempotent: a resolved config resolves to an equal one.
 */
export function resolvePolicy(input: PolicyInput): PolicyConfig {
  if (typeof input !== 'object' || input === null) throw new InvalidPolicyConfigError(`a policy must be an object, got ${String(input)}`);
  switch (input.kind) {
    case 'full':
      return { kind: 'full' };
    case 'window':
      return { kind: 'window', window: requireInt('window', 'window', input.window, 1) };
    case 'streaming': {
      const p = checkStreaming({ sinks: input.sinks ?? STREAMING_DEFAULTS.sinks, recent: input.recent });
      return p.recent === undefined ? { kind: 'streaming', sinks: p.sinks } : { kind: 'streaming', sinks: p.sinks, recent: p.recent };
    }
    case 'h2o': {
      // heavy/recent stay optional: a token budget decides them (h2oSplit)
      const p: H2OPolicy = {
        kind: 'h2o',
        ...withDefaults(H2O_DEFAULTS, input),
        ...(input.heavy !== undefined && { heavy: input.heavy }),
        ...(input.recent !== undefined && { recent: input.recent }),
      };
      checkH2O(p);
      return p;
    }
    case 'tova':
      return { kind: 'tova' };
    case 'snapkv': {
      const p: SnapKVPolicy = { kind: 'snapkv', ...withDefaults(SNAPKV_DEFAULTS, input) };
      checkWindowScoring('snapkv', p);
      return p;
    }
    case 'pyramidkv': {
      const p: PyramidKVPolicy = { kind: 'pyramidkv', ...withDefaults(PYRAMIDKV_DEFAULTS, input) };
      checkWindowScoring('pyramidkv', p);
      requireInt('pyramidkv', 'beta', p.beta, 1);
      return p;
    }
    case 'adakv': {
      const p: AdaKVPolicy = { kind: 'adakv', ...withDefaults(ADAKV_DEFAULTS, input) };
      checkWindowScoring('adakv', p);
      requireNumber('adakv', 'alpha', p.alpha, 0, 1);
      return p;
    }
    case 'dynamickv': {
      const p: DynamicKVPolicy = { kind: 'dynamickv', ...withDefaults(DYNAMICKV_DEFAULTS, input) };
      checkWindowScoring('dynamickv', p);
      requireNumber('dynamickv', 'rMax', p.rMax, 0, Number.MAX_SAFE_INTEGER, true);
      requireInt('dynamickv', 'm', p.m, 1);
      requireNumber('dynamickv', 'rMin', p.rMin, 0, 1);
      return p;
    }
    default:
      throw new InvalidPolicyConfigError(`unknown policy kind ${String((input satisfies never as { kind?: unknown }).kind)}`);
  }
}

/** The smallest per-layer token budget the policy accepts: what it always keeps (window, sinks, recent). */
export function minimumBudget(input: PolicyInput): number {
  const policy = resolvePolicy(input);
  switch (policy.kind) {
    case 'full':
      return 0;
    case 'window':
    case 'tova':
      return 1;
    case 'streaming':
      return policy.sinks;
    case 'h2o':
      return h2oMinimumBudget(policy);
    case 'snapkv':
    case 'pyramidkv':
    case 'adakv':
    case 'dynamickv':
      return policy.window;
    default:
      throw new InvalidPolicyConfigError(`unknown policy kind ${String((policy satisfies never as { kind?: unknown }).kind)}`);
  }
}

/**
 * The statistics the backend's prefill attention must return for this policy: window sums over
 * the last `window` queries (TOVA: 1, the last row), and/or column sums over every query (H2O).
 * `null`: the policy needs no attention statistics.
 */
export function prefillStatsNeeded(input: PolicyInput): { window: number | null; columnSums: boolean } | null {
  const policy = resolvePolicy(input);
  switch (policy.kind) {
    case 'full':
    case 'window':
    case 'streaming':
      return null;
    case 'h2o':
      return { window: null, columnSums: true };
    case 'tova':
      return { window: 1, columnSums: false };
    case 'snapkv':
    case 'pyramidkv':
    case 'adakv':
    case 'dynamickv':
      return { window: policy.window, columnSums: false };
    default:
      throw new InvalidPolicyConfigError(`unknown policy kind ${String((policy satisfies never as { kind?: unknown }).kind)}`);
  }
}
