// Settings as the user types them, parsed into cache settings; bad input becomes a typed error that
// names the field to change.
import type { BudgetSpec, KvDtype, PolicyInput, PolicyKind } from '@kvkit/cache';
import {
  ADAKV_DEFAULTS,
  DYNAMICKV_DEFAULTS,
  H2O_DEFAULTS,
  KV_DTYPES,
  minimumBudget,
  PYRAMIDKV_DEFAULTS,
  resolvePolicy,
  SNAPKV_DEFAULTS,
  STREAMING_DEFAULTS,
} from '@kvkit/cache';
import { KvkitError } from '@kvkit/tensor';
import type { CacheSettings } from './protocol.js';

/** A setting the page cannot use as typed (empty, text where a number goes, out of range). */
export class SettingsError extends KvkitError {
  constructor(message: string) {
    super('INVALID_SETTING', message);
  }
}

export type ParamKind = 'int' | 'number' | 'bool' | { readonly choices: readonly string[] };

export interface ParamSpec {
  readonly name: string;
  readonly kind: ParamKind;
  /** The library's default; undefined: optional, derived from the budget when left empty. */
  readonly default: string | number | boolean | undefined;
  readonly hint: string;
}

const POOLING = { choices: ['avg', 'max'] } as const;
const GQA = { choices: ['mean', 'max'] } as const;
const scoring = (d: { window: number; kernel: number; pooling: string; gqa: string }): ParamSpec[] => [
  { name: 'window', kind: 'int', default: d.window, hint: 'last queries that score the prompt' },
  { name: 'kernel', kind: 'int', default: d.kernel, hint: 'pooling kernel over positions' },
  { name: 'pooling', kind: POOLING, default: d.pooling, hint: '' },
  { name: 'gqa', kind: GQA, default: d.gqa, hint: 'how query heads of a KV head combine' },
];

export const POLICIES: readonly { readonly kind: PolicyKind; readonly title: string; readonly params: readonly ParamSpec[] }[] = [
  { kind: 'full', title: 'full (keep everything)', params: [] },
  { kind: 'window', title: 'window (last N tokens)', params: [{ name: 'window', kind: 'int', default: 64, hint: 'tokens kept (required; 64 is the demo\'s pick)' }] },
  {
    kind: 'streaming',
    title: 'StreamingLLM (sinks + recent)',
    params: [
      { name: 'sinks', kind: 'int', default: STREAMING_DEFAULTS.sinks, hint: 'first tokens always kept' },
      { name: 'recent', kind: 'int', default: undefined, hint: 'default: budget - sinks' },
    ],
  },
  {
    kind: 'h2o',
    title: 'H2O (heavy hitters + recent)',
    params: [
      { name: 'heavy', kind: 'int', default: undefined, hint: 'default: half the budget' },
      { name: 'recent', kind: 'int', default: undefined, hint: 'default: the rest' },
      { name: 'normalize', kind: 'bool', default: H2O_DEFAULTS.normalize, hint: 'divide scores by times seen' },
      { name: 'gqa', kind: GQA, default: H2O_DEFAULTS.gqa, hint: '' },
    ],
  },
  { kind: 'tova', title: 'TOVA (last query\'s attention)', params: [] },
  { kind: 'snapkv', title: 'SnapKV', params: scoring(SNAPKV_DEFAULTS) },
  { kind: 'pyramidkv', title: 'PyramidKV', params: [...scoring(PYRAMIDKV_DEFAULTS), { name: 'beta', kind: 'int', default: PYRAMIDKV_DEFAULTS.beta, hint: 'pyramid steepness' }] },
  { kind: 'adakv', title: 'Ada-KV (per-head budgets)', params: [...scoring(ADAKV_DEFAULTS), { name: 'alpha', kind: 'number', default: ADAKV_DEFAULTS.alpha, hint: 'share spread evenly over heads' }] },
  {
    kind: 'dynamickv',
    title: 'DynamicKV (per-layer budgets)',
    params: [
      ...scoring(DYNAMICKV_DEFAULTS),
      { name: 'rMax', kind: 'number', default: DYNAMICKV_DEFAULTS.rMax, hint: 'largest layer share' },
      { name: 'm', kind: 'int', default: DYNAMICKV_DEFAULTS.m, hint: 'update period in layers' },
      { name: 'rMin', kind: 'number', default: DYNAMICKV_DEFAULTS.rMin, hint: 'smallest layer share' },
    ],
  },
];

export const KV_DTYPE_LIST: readonly KvDtype[] = KV_DTYPES;

export type BudgetMode = 'tokens' | 'ratio' | 'bytes';

/** The parameters as typed (empty = default) -> a validated policy. */
export function parsePolicy(kind: PolicyKind, raw: Readonly<Record<string, string>>): PolicyInput {
  const spec = POLICIES.find((p) => p.kind === kind);
  if (!spec) throw new SettingsError(`unknown policy '${kind}': pick one of ${POLICIES.map((p) => p.kind).join(', ')}`);
  const out: Record<string, unknown> = { kind };
  for (const p of spec.params) {
    const text = (raw[p.name] ?? '').trim();
    if (text === '') {
      if (p.default !== undefined) out[p.name] = p.default;
      continue;
    }
    if (p.kind === 'int' || p.kind === 'number') {
      const v = Number(text);
      if (!Number.isFinite(v) || (p.kind === 'int' && !Number.isInteger(v))) throw new SettingsError(`${kind} parameter '${p.name}' must be ${p.kind === 'int' ? 'a whole number' : 'a number'}, got '${text}'`);
      out[p.name] = v;
    } else if (p.kind === 'bool') out[p.name] = text === 'true';
    else out[p.name] = text;
  }
  try {
    resolvePolicy(out as PolicyInput);
  } catch (e) {
    throw new SettingsError(`policy ${kind}: ${(e as Error).message}`);
  }
  return out as PolicyInput;
}

/** The budget box: tokens per layer (at least what the policy always keeps), a ratio in (0, 1], or bytes. */
export function parseBudget(policy: PolicyInput, mode: BudgetMode, text: string): BudgetSpec | null {
  if (policy.kind === 'full') return null;
  const t = text.trim();
  if (t === '') throw new SettingsError(`policy ${policy.kind} needs a budget: type ${mode === 'tokens' ? 'tokens per layer, e.g. 64' : mode === 'ratio' ? 'a ratio of the prompt, e.g. 0.25' : 'cache bytes, e.g. 65536'}`);
  const v = Number(t);
  if (mode === 'ratio') {
    if (!(Number.isFinite(v) && v > 0 && v <= 1)) throw new SettingsError(`budget ratio must be a number in (0, 1], got '${t}'`);
    return { ratio: v };
  }
  if (!Number.isSafeInteger(v)) throw new SettingsError(`budget must be a whole number of ${mode === 'tokens' ? 'tokens per layer' : 'bytes'}, got '${t}'`);
  if (mode === 'bytes') {
    if (v < 1) throw new SettingsError(`budget in bytes must be at least 1, got ${v}`);
    return { maxBytes: v };
  }
  const least = Math.max(1, minimumBudget(policy));
  if (v < least) throw new SettingsError(`budget must be at least ${least} token${least === 1 ? '' : 's'} for ${policy.kind}${least > 1 ? ' (what it always keeps)' : ''}, got ${v}`);
  return { budget: v };
}

export function cacheSettings(kind: PolicyKind, params: Readonly<Record<string, string>>, mode: BudgetMode, budget: string, kvDtype: KvDtype): CacheSettings {
  if (kind === 'full') return { policy: null, budget: null, kvDtype };
  const policy = parsePolicy(kind, params);
  return { policy, budget: parseBudget(policy, mode, budget), kvDtype };
}
