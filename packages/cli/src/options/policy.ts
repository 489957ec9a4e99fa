// Cache flags: which tokens the cache keeps (a policy and its budget) and how it stores them (KV dtype).
import type { BudgetSpec, CachePolicyOptions, KiviParams, PolicyInput, PolicyKind } from '@kvkit/cache';
import {
  ADAKV_DEFAULTS,
  DYNAMICKV_DEFAULTS,
  InvalidPolicyConfigError,
  KIVI_DEFAULTS,
  minimumBudget,
  PYRAMIDKV_DEFAULTS,
  resolvePolicy,
  SNAPKV_DEFAULTS,
  STREAMING_DEFAULTS,
} from '@kvkit/cache';
import type { KvDtype } from '@kvkit/tensor';
import { KV_DTYPES } from '@kvkit/tensor';
import type { Flags, FlagSpecs } from '../args/flags.js';
import { bool, int, num, oneOf } from '../args/values.js';
import { UsageError } from '../errors.js';

export const POLICY_KINDS = ['full', 'window', 'streaming', 'h2o', 'tova', 'snapkv', 'pyramidkv', 'adakv', 'dynamickv'] as const satisfies readonly PolicyKind[];

const G = 'Cache policy';
export const policyFlags = {
  policy: { type: 'string', value: POLICY_KINDS.join('|'), help: 'which tokens the cache keeps', default: 'none: every token', group: G },
  budget: { type: 'string', value: '<tokens>', help: 'tokens per layer the policy keeps', group: G },
  ratio: { type: 'string', value: '<r>', help: 'keep this share of the prompt, in (0, 1]', group: G },
  'max-bytes': { type: 'string', value: '<bytes>', help: "bytes for the whole cache; without --policy kvkit picks KV dtype, policy and budget (see 'kvkit plan')", group: G },
  window: { type: 'string', value: '<n>', help: `window: tokens kept (default: the budget); snapkv/pyramidkv/adakv: observation window (${SNAPKV_DEFAULTS.window}); dynamickv (${DYNAMICKV_DEFAULTS.window})`, group: G },
  sinks: { type: 'string', value: '<n>', help: `streaming: first tokens always kept (${STREAMING_DEFAULTS.sinks})`, group: G },
  kernel: { type: 'string', value: '<n>', help: `snapkv/pyramidkv: pooling kernel (${SNAPKV_DEFAULTS.kernel}); adakv (${ADAKV_DEFAULTS.kernel}); dynamickv (${DYNAMICKV_DEFAULTS.kernel})`, group: G },
  pooling: { type: 'string', value: 'avg|max', help: `snapkv/pyramidkv/adakv/dynamickv: score pooling (snapkv ${SNAPKV_DEFAULTS.pooling}, adakv ${ADAKV_DEFAULTS.pooling})`, group: G },
  beta: { type: 'string', value: '<n>', help: `pyramidkv: pyramid steepness (${PYRAMIDKV_DEFAULTS.beta})`, group: G },
  alpha: { type: 'string', value: '<a>', help: `adakv: share of the budget spread evenly, in [0, 1] (${ADAKV_DEFAULTS.alpha})`, group: G },
  'r-max': { type: 'string', value: '<r>', help: `dynamickv: most a layer may take, in average budgets (${DYNAMICKV_DEFAULTS.rMax})`, group: G },
  heavy: { type: 'string', value: '<n>', help: 'h2o: heavy hitters kept (default: split from the budget)', group: G },
  recent: { type: 'string', value: '<n>', help: 'h2o, streaming: newest tokens kept (default: the rest of the budget)', group: G },
  normalize: { type: 'boolean', help: 'h2o: normalise accumulated scores by the number of queries', group: G },
  'recompress-interval': { type: 'string', value: '<n>', help: 'snapkv/pyramidkv/adakv/dynamickv: recompress every n decoded tokens (>= the window)', default: 'off', group: G },
} as const satisfies FlagSpecs;

const S = 'KV storage';
export const kvDtypeFlags = {
  'kv-dtype': { type: 'string', value: KV_DTYPES.join('|'), help: 'how the cache stores K/V', default: 'f32', group: S },
  'kivi-group': { type: 'string', value: '<n>', help: 'kivi2/kivi4: quantisation group', default: String(KIVI_DEFAULTS.group), group: S },
  'kivi-residual': { type: 'string', value: '<n>', help: 'kivi2/kivi4: newest tokens kept in f16, a multiple of the group', default: String(KIVI_DEFAULTS.residual), group: S },
} as const satisfies FlagSpecs;

/** The parameter flags each policy takes. */
const PARAMS: Record<PolicyKind, readonly string[]> = {
  full: [],
  window: ['window'],
  streaming: ['sinks', 'recent'],
  h2o: ['heavy', 'recent', 'normalize'],
  tova: [],
  snapkv: ['window', 'kernel', 'pooling', 'recompress-interval'],
  pyramidkv: ['window', 'kernel', 'pooling', 'beta', 'recompress-interval'],
  adakv: ['window', 'kernel', 'pooling', 'alpha', 'recompress-interval'],
  dynamickv: ['window', 'kernel', 'pooling', 'r-max', 'recompress-interval'],
};
const PARAM_FLAGS = ['window', 'sinks', 'kernel', 'pooling', 'beta', 'alpha', 'r-max', 'heavy', 'recent', 'normalize', 'recompress-interval'];

/** What the cache flags ask for: a policy, or a byte budget for kvkit to plan (`maxBytes` alone), or neither. */
export interface CacheRequest {
  readonly policy?: CachePolicyOptions;
  readonly maxBytes?: number;
}

function given(flags: Flags, name: string): boolean {
  return flags[name] !== undefined;
}

/** The policy and budget of the flags, every value checked against the policy (no model needed). */
export function cacheRequest(flags: Flags): CacheRequest {
  const kind = oneOf(flags, 'policy', POLICY_KINDS);
  const budgets = ['budget', 'ratio', 'max-bytes'].filter((n) => given(flags, n));
  if (budgets.length > 1) throw new UsageError(`give one of --budget, --ratio and --max-bytes, not ${budgets.map((b) => `--${b}`).join(' and ')}`);
  const maxBytes = int(flags, 'max-bytes', 1);
  if (kind === undefined) {
    const stray = [...PARAM_FLAGS, 'budget', 'ratio'].find((n) => given(flags, n));
    if (stray) throw new UsageError(`--${stray} needs --policy (one of ${POLICY_KINDS.join(', ')})`);
    return maxBytes === undefined ? {} : { maxBytes };
  }
  const foreign = PARAM_FLAGS.find((n) => given(flags, n) && !PARAMS[kind].includes(n));
  if (foreign) throw new UsageError(`--${foreign} does not apply to --policy ${kind}${PARAMS[kind].length ? ` (it takes ${PARAMS[kind].map((p) => `--${p}`).join(', ')})` : ''}`);
  const tokens = int(flags, 'budget', 0);
  const ratio = num(flags, 'ratio', 0, 1, true);
  // The window policy keeps its window: either flag gives both.
  const window = int(flags, 'window', 1) ?? (kind === 'window' ? tokens : undefined);
  if (kind === 'window' && window === undefined) throw new UsageError('--policy window needs --window <tokens> (or --budget <tokens>)');
  let budget: BudgetSpec;
  if (tokens !== undefined) budget = { budget: tokens };
  else if (ratio !== undefined) budget = { ratio };
  else if (maxBytes !== undefined) budget = { maxBytes };
  else if (kind === 'full') budget = { ratio: 1 };
  else if (kind === 'window') budget = { budget: window! };
  else throw new UsageError(`--policy ${kind} needs --budget <tokens>, --ratio <r> or --max-bytes <bytes>`);
  const input = {
    kind,
    ...(window !== undefined ? { window } : {}),
    ...(given(flags, 'sinks') ? { sinks: int(flags, 'sinks', 0) } : {}),
    ...(given(flags, 'kernel') ? { kernel: int(flags, 'kernel', 1) } : {}),
    ...(given(flags, 'pooling') ? { pooling: oneOf(flags, 'pooling', ['avg', 'max'] as const) } : {}),
    ...(given(flags, 'beta') ? { beta: int(flags, 'beta', 1) } : {}),
    ...(given(flags, 'alpha') ? { alpha: num(flags, 'alpha', 0, 1) } : {}),
    ...(given(flags, 'r-max') ? { rMax: num(flags, 'r-max', 0, Infinity, true) } : {}),
    ...(given(flags, 'heavy') ? { heavy: int(flags, 'heavy', 0) } : {}),
    ...(given(flags, 'recent') ? { recent: int(flags, 'recent', 0) } : {}),
    ...(bool(flags, 'normalize') ? { normalize: true } : {}),
  } as PolicyInput;
  let resolved;
  try {
    resolved = resolvePolicy(input);
  } catch (e) {
    if (e instanceof InvalidPolicyConfigError) throw new UsageError(`--policy ${kind}: ${e.message}`);
    throw e;
  }
  const least = minimumBudget(input);
  if (tokens !== undefined && tokens < least) {
    const what = kind === 'streaming' ? `its ${least} sink tokens (--sinks)` : kind === 'h2o' ? 'its heavy and recent tokens' : `its window of ${least} (--window)`;
    throw new UsageError(`--budget must be at least ${least} for --policy ${kind}, which always keeps ${what}; got ${tokens}`);
  }
  const interval = int(flags, 'recompress-interval', 1);
  if (interval !== undefined) {
    const w = (resolved as { window?: number }).window ?? 1;
    if (interval < w) throw new UsageError(`--recompress-interval must be at least the window (${w}) of --policy ${kind}, got ${interval}`);
  }
  return { policy: { policy: input, budget, ...(interval !== undefined ? { recompressInterval: interval } : {}) } };
}

export interface KvStorage {
  readonly kvDtype?: KvDtype;
  readonly kivi?: KiviParams;
}

/** The cache's storage format of the flags (nothing when not given: f32). */
export function kvStorage(flags: Flags): KvStorage {
  const kvDtype = oneOf(flags, 'kv-dtype', KV_DTYPES);
  const kivi = kvDtype === 'kivi2' || kvDtype === 'kivi4';
  const stray = ['kivi-group', 'kivi-residual'].find((n) => given(flags, n));
  if (stray && !kivi) throw new UsageError(`--${stray} applies to --kv-dtype kivi2 or kivi4`);
  if (!kivi) return kvDtype === undefined ? {} : { kvDtype };
  const group = int(flags, 'kivi-group', 1) ?? KIVI_DEFAULTS.group;
  const residual = int(flags, 'kivi-residual', 1) ?? KIVI_DEFAULTS.residual;
  if (residual < group || residual % group !== 0) throw new UsageError(`--kivi-residual (${residual}) must be a positive multiple of --kivi-group (${group})`);
  return { kvDtype, kivi: { group, residual } };
}

/** `--max-bytes` alone lets kvkit pick the KV dtype: it cannot be given too. */
export function checkPlannerStorage(cache: CacheRequest, storage: KvStorage): void {
  if (cache.maxBytes !== undefined && storage.kvDtype !== undefined) {
    throw new UsageError('--max-bytes without --policy lets kvkit pick the KV dtype: drop --kv-dtype, or add --policy to budget that policy in bytes');
  }
}

/** What a JSON report says of the cache settings. */
export function describePolicy(p: CachePolicyOptions | undefined): { kind: string; budget: BudgetSpec; recompressInterval?: number } | undefined {
  return p && { kind: p.policy.kind, budget: p.budget, ...(p.recompressInterval !== undefined ? { recompressInterval: p.recompressInterval } : {}) };
}

