import type { BudgetSpec, CachePolicyOptions, PolicyInput, PolicyKind } from '@kvkit/cache';
import type { KvDtype } from '@kvkit/tensor';
import { KV_DTYPES } from '@kvkit/tensor';
import { intArg, numArg, oneOf, UsageError } from './args.js';

export const POLICY_KINDS = ['full', 'window', 'streaming', 'h2o', 'tova', 'snapkv', 'pyramidkv', 'adakv', 'dynamickv'] as const satisfies readonly PolicyKind[];

/** The options every command that runs a policy accepts. */
export const policyOptions = {
  policy: { type: 'string' },
  budget: { type: 'string' },
  ratio: { type: 'string' },
  'max-bytes': { type: 'string' },
  window: { type: 'string' },
  sinks: { type: 'string' },
  kernel: { type: 'string' },
  pooling: { type: 'string' },
  beta: { type: 'string' },
  alpha: { type: 'string' },
  'r-max': { type: 'string' },
  heavy: { type: 'string' },
  recent: { type: 'string' },
  normalize: { type: 'boolean' },
  'recompress-interval': { type: 'string' },
} as const;

/** Options of the cache's storage format (policies.md §10). */
export const kvDtypeOptions = {
  'kv-dtype': { type: 'string' },
  'kivi-group': { type: 'string' },
  'kivi-residual': { type: 'string' },
} as const;

export const kvDtypeHelp = `[--kv-dtype f32|f16|bf16|int8|kivi4|kivi2] [--kivi-group 32] [--kivi-residual 128]`;

/** Session options for the storage format given on the command line. */
export function kvDtypeFromArgs(a: { 'kv-dtype'?: string; 'kivi-group'?: string; 'kivi-residual'?: string }): { kvDtype?: KvDtype; kivi?: { group: number; residual: number } } {
  const kvDtype = oneOf(a['kv-dtype'], 'kv-dtype', KV_DTYPES, 'f32');
  const kivi = { group: intArg(a['kivi-group'], 'kivi-group', 32, 1), residual: intArg(a['kivi-residual'], 'kivi-residual', 128, 1) };
  if (kivi.residual % kivi.group) throw new UsageError(`--kivi-residual (${kivi.residual}) must be a multiple of --kivi-group (${kivi.group})`);
  return { kvDtype, ...(kvDtype.startsWith('kivi') ? { kivi } : {}) };
}

export const policyHelp = `[--policy full|window|streaming|h2o|tova|snapkv|pyramidkv|adakv|dynamickv]
               [--budget <tokens> | --ratio <r> | --max-bytes <n>]
               [--window w] [--sinks s] [--kernel k] [--pooling avg|max] [--beta b] [--alpha a] [--r-max r]
               [--heavy hh] [--recent r] [--normalize] [--recompress-interval n]`;

type PolicyArgs = { [K in keyof typeof policyOptions]?: (typeof policyOptions)[K]['type'] extends 'boolean' ? boolean : string };

/** The policy and budget of a command line; undefined when no policy was asked for. */
export function policyFromArgs(a: PolicyArgs): CachePolicyOptions | undefined {
  if (a.policy === undefined) {
    const stray = Object.keys(policyOptions).filter((k) => k !== 'policy' && a[k as keyof PolicyArgs] !== undefined);
    if (stray.length) throw new UsageError(`--${stray[0]} needs --policy`);
    return undefined;
  }
  const kind = oneOf(a.policy, 'policy', POLICY_KINDS, 'full');
  const opt = (name: keyof PolicyArgs, f: (v: string, n: string) => number) => (a[name] === undefined ? {} : { [name === 'r-max' ? 'rMax' : name]: f(a[name] as string, name) });
  const int = (v: string, n: string) => intArg(v, n, 0, 0);
  const num = (v: string, n: string) => numArg(v, n, 0, 0);
  const params = {
    ...opt('window', int),
    ...opt('sinks', int),
    ...opt('kernel', int),
    ...opt('beta', int),
    ...opt('alpha', num),
    ...opt('r-max', num),
    ...opt('heavy', int),
    ...opt('recent', int),
    ...(a.pooling !== undefined ? { pooling: oneOf(a.pooling, 'pooling', ['avg', 'max'] as const, 'avg') } : {}),
    ...(a.normalize !== undefined ? { normalize: a.normalize } : {}),
  };
  const given = [a.budget, a.ratio, a['max-bytes']].filter((v) => v !== undefined).length;
  if (given > 1) throw new UsageError('give one of --budget, --ratio, --max-bytes');
  let budget: BudgetSpec;
  if (a.ratio !== undefined) budget = { ratio: numArg(a.ratio, 'ratio', 1, 0) };
  else if (a['max-bytes'] !== undefined) budget = { maxBytes: intArg(a['max-bytes'], 'max-bytes', 0, 0) };
  else if (a.budget !== undefined) budget = { budget: intArg(a.budget, 'budget', 0, 0) };
  else if (kind === 'full') budget = { ratio: 1 };
  else throw new UsageError(`--policy ${kind} needs --budget, --ratio or --max-bytes`);
  const recompress = a['recompress-interval'] === undefined ? {} : { recompressInterval: intArg(a['recompress-interval'] as string, 'recompress-interval', 0, 1) };
  return { policy: { kind, ...params } as PolicyInput, budget, ...recompress };
}
