// Snapshots continue bit-exactly: for every policy x KV dtype x layout on stories260K, 40 greedy tokens
// in one run equal 20, snapshot, restore, 20 more: same tokens, bytesUsed, tokens and positions held.
// The payload's K/V part is exactly bytesUsed (KIVI: plus the evicted residual key rows it must keep).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend, kiviBits } from '@kvkit/tensor';
import { LlamaModel } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';
import { DTYPES, held, LAYOUTS, POLICIES, roundTrip, sessionOptions } from './snapshot-roundtrip.js';

let loaded: LoadedModel;
let model: LlamaModel;
const prompt = [1, ...reference.generated_ids.slice(0, 49)];
const sizes: string[] = [];

beforeAll(async () => {
  loaded = await loadModel(`${STORIES}stories260K.bin`);
  model = LlamaModel.load(new CpuBackend(), loaded);
});
afterAll(() => {
  if (process.env.KVKIT_SNAPSHOT_SIZES) console.log(sizes.join('\n'));
});

describe.each(POLICIES)('stories260K %s', (name, policy) => {
  it.each(DTYPES.flatMap((d) => LAYOUTS.map((l) => [d, l] as const)))('%s %s: 40 tokens = 20 + snapshot + restore + 20', async (kvDtype, layout) => {
    const r = await roundTrip(model, model, sessionOptions(policy, kvDtype, layout), prompt);
    expect(r.split).toEqual(r.whole);
    expect(r.restored.tokens).toEqual(r.wholeSession.tokens);
    expect(r.restored.stats().bytesUsed).toBe(r.wholeSession.stats().bytesUsed);
    expect(r.restored.stats().tokensHeld).toEqual(r.wholeSession.stats().tokensHeld);
    expect(held(r.restored)).toEqual(held(r.wholeSession));
    if (kiviBits(kvDtype)) expect(r.kvBytes).toBe(r.bytesUsedAtSnapshot + r.deadResidualRows * 2 * model.config.headDim);
    else expect(r.kvBytes).toBe(r.bytesUsedAtSnapshot);
    sizes.push(`${name}\t${kvDtype}\t${layout}\tbytesUsed ${r.bytesUsedAtSnapshot}\tsnapshot ${r.snapshot.length}\tkv ${r.kvBytes}`);
    r.restored[Symbol.dispose]();
    r.wholeSession[Symbol.dispose]();
  });
});

describe('stories260K: state beyond the cache', () => {
  it.each(DTYPES)('snapkv recompressing every 12 decoded tokens (%s): the step counter and the window sums so far carry over', async (kvDtype) => {
    const opts = sessionOptions({ kind: 'snapkv', window: 8 }, kvDtype, 'paged', { recompressInterval: 12 });
    const r = await roundTrip(model, model, opts, prompt);
    expect(r.split).toEqual(r.whole);
    expect(held(r.restored)).toEqual(held(r.wholeSession));
    expect(r.restored.compressions.map((c) => c.phase)).toEqual(r.wholeSession.compressions.map((c) => c.phase));
    expect(r.restored.compressions.filter((c) => c.phase === 'decode').length).toBe(3);
  });

  it('a recompute session (no cache) snapshots its tokens', async () => {
    const r = await roundTrip(model, model, { mode: 'recompute' }, prompt);
    expect(r.split).toEqual(r.whole);
    expect(r.restored.mode).toBe('recompute');
    expect(r.snapshot.length).toBeLessThan(1500);
  });
});
