// Shared by the snapshot tests: generate 40 tokens in one run, or 20, snapshot, restore (possibly on
// another model instance or backend) and 20 more, and compare everything the cache holds.
import type { CachePolicyOptions, PolicyInput } from '@kvkit/cache';
import { decodeContainer } from '@kvkit/cache';
import type { KvDtype } from '@kvkit/tensor';
import { DEAD_POSITION, kiviBits } from '@kvkit/tensor';
import type { LlamaModel, SessionOptions } from '../src/index.js';
import { generate, Session } from '../src/index.js';

export const BUDGET = 24;
/** Every policy at a budget below the prompt, so that each one evicts or compresses. */
export const POLICIES: readonly [string, PolicyInput][] = [
  ['full', { kind: 'full' }],
  ['window', { kind: 'window', window: BUDGET }],
  ['streaming', { kind: 'streaming', sinks: 4 }],
  ['h2o', { kind: 'h2o' }],
  ['tova', { kind: 'tova' }],
  ['snapkv', { kind: 'snapkv', window: 8 }],
  ['pyramidkv', { kind: 'pyramidkv', window: 8 }],
  ['adakv', { kind: 'adakv', window: 8 }],
  ['dynamickv', { kind: 'dynamickv', window: 8 }],
];
export const DTYPES: readonly KvDtype[] = ['f32', 'f16', 'bf16', 'int8', 'kivi4', 'kivi2'];
export const LAYOUTS = ['contiguous', 'paged'] as const;
/** Small KIVI groups and residual, so that 90 tokens quantise keys and values several times. */
export const KIVI = { group: 8, residual: 16 };

export function sessionOptions(policy: PolicyInput, kvDtype: KvDtype, layout: 'contiguous' | 'paged', extra: Partial<CachePolicyOptions> = {}): SessionOptions {
  return {
    layout,
    kvDtype,
    ...(kiviBits(kvDtype) ? { kivi: KIVI } : {}),
    maxTokens: 256,
    policy: { policy, budget: { budget: BUDGET }, ...extra },
  };
}

export async function greedy(session: Session, prompt: readonly number[], n: number): Promise<number[]> {
  const out: number[] = [];
  for await (const t of generate(session, prompt, { maxTokens: n, stopTokens: [] })) out.push(t.token);
  return out;
}

/** Positions held per source layer and KV head, in logical order (holes skipped). */
export function held(session: Session): number[][][] {
  return session.cache.sourceLayers.map((l) => Array.from({ length: session.cache.nKvHeads }, (_, h) => Array.from(session.cache.layer(l).positionsOf(h))));
}

export interface RoundTrip {
  readonly whole: number[];
  readonly split: number[];
  readonly wholeSession: Session;
  readonly restored: Session;
  readonly snapshot: Uint8Array;
  /** The cache's K/V part of the payload, and the stats of the snapshotted session. */
  readonly kvBytes: number;
  readonly bytesUsedAtSnapshot: number;
  /** KIVI: unquantised key rows of evicted tokens the snapshot must keep (they enter a group's min/max). */
  readonly deadResidualRows: number;
}

/**
 * `separate` (default): the uninterrupted run is its own session generating 40 tokens in one call.
 * `continued`: it is the snapshotted session itself, continuing after the snapshot with the same
 * appends a 40-token call makes (half the work, for the larger models; it also checks that taking a
 * snapshot does not disturb the session).
 */
export async function roundTrip(model: LlamaModel, restoreOn: LlamaModel, opts: SessionOptions, prompt: readonly number[], mode: 'separate' | 'continued' = 'separate'): Promise<RoundTrip> {
  const first = new Session(model, opts);
  const head = await greedy(first, prompt, 20);
  const continued = mode === 'continued';
  const wholeSession = continued ? first : new Session(model, opts);
  const whole = continued ? [] : await greedy(wholeSession, prompt, 40);
  const snapshot = await first.snapshot();
  const bytesUsedAtSnapshot = first.stats().bytesUsed;
  let deadResidualRows = 0;
  for (const l of first.cache.sourceLayers) {
    const view = first.cache.layer(l).view;
    const f = view.format;
    if (f?.kind !== 'kivi') continue;
    const cap = first.cache.layer(l).capacitySlots;
    for (let h = 0; h < view.nKvHeads; h++) for (let j = f.keyQuantized[h]!; j < view.lengths[h]!; j++) if (view.positions[h * cap + j] === DEAD_POSITION) deadResidualRows++;
  }
  if (continued) whole.push(...head, ...(await greedy(first, [head[head.length - 1]!], 20)));
  else first[Symbol.dispose]();
  const restored = Session.restore(restoreOn, snapshot);
  const tail = await greedy(restored, [head[head.length - 1]!], 20);
  const header = decodeContainer(snapshot).header as { cache: { kvBytes: number } | null };
  return { whole, split: [...head, ...tail], wholeSession, restored, snapshot, kvBytes: header.cache?.kvBytes ?? 0, bytesUsedAtSnapshot, deadResidualRows };
}
