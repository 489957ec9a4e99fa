// --save-cache / --load-cache: keep a run's KV cache in a file and continue from it in another process.
import type { PolicyKind } from '@kvkit/cache';
import type { KvDtype } from '@kvkit/tensor';
import { KV_DTYPES } from '@kvkit/tensor';
import type { Flags, FlagSpecs } from '../args/flags.js';
import { oneOf, str } from '../args/values.js';
import { UsageError } from '../errors.js';
import { readableFile, writableFile } from '../paths.js';
import { POLICY_KINDS } from './policy.js';

const G = 'Cache snapshot';
export const snapshotFlags = {
  'save-cache': { type: 'string', value: '<file>', help: "after generating, write the session's cache (its tokens, K/V and policy state) to this file", default: 'none', group: G },
  'load-cache': {
    type: 'string',
    value: '<file>',
    help: 'continue a run saved with --save-cache: its policy, budget and KV dtype come from the file; --prompt adds text first, without it generation goes on where the run stopped (--policy and --kv-dtype, when given, must match the file)',
    default: 'none',
    group: G,
  },
} as const satisfies FlagSpecs;

/** Flags a snapshot decides: given with --load-cache they would contradict the file. */
const FROM_SNAPSHOT = ['budget', 'ratio', 'max-bytes', 'window', 'sinks', 'kernel', 'pooling', 'beta', 'alpha', 'r-max', 'heavy', 'recent', 'normalize', 'recompress-interval', 'kivi-group', 'kivi-residual', 'no-cache'];

export interface SnapshotRequest {
  readonly save?: string;
  readonly load?: { readonly path: string; readonly expect: { readonly kvDtype?: KvDtype; readonly policy?: PolicyKind } };
}

/** The snapshot flags, checked before anything runs: readable and writable paths, no contradicting cache flags. */
export function snapshotRequest(flags: Flags): SnapshotRequest {
  const save = str(flags, 'save-cache');
  const load = str(flags, 'load-cache');
  const out: { save?: string; load?: SnapshotRequest['load'] } = {};
  if (load !== undefined) {
    const stray = FROM_SNAPSHOT.find((n) => flags[n] !== undefined);
    if (stray) throw new UsageError(`--${stray} comes from the snapshot with --load-cache: drop --${stray}`);
    const kvDtype = oneOf(flags, 'kv-dtype', KV_DTYPES);
    const policy = oneOf(flags, 'policy', POLICY_KINDS);
    out.load = { path: readableFile(load, 'load-cache'), expect: { ...(kvDtype ? { kvDtype } : {}), ...(policy ? { policy } : {}) } };
  }
  if (save !== undefined) out.save = writableFile(save, 'save-cache');
  return out;
}
