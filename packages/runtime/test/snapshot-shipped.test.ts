// Snapshots of the shipped cross-layer sharing models continue bit-exactly: MLKV (8 layers reading
// 2 caches) and YOCO (4 sliding-window layers of 64, then 4 layers reading one cache), for every
// policy x KV dtype x layout (see `cases`); 72 tokens pass YOCO's window, so restore must carry the slid windows.
// The uninterrupted run is the snapshotted session continuing (see roundTrip's 'continued').
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@kvkit/loaders/node';
import type { Backend, KvDtype } from '@kvkit/tensor';
import { kiviBits } from '@kvkit/tensor';
import { createWasmCpuBackend } from '@kvkit/tensor/node';
import { LlamaModel } from '../src/index.js';
import { DTYPES, held, LAYOUTS, POLICIES, roundTrip, sessionOptions } from './snapshot-roundtrip.js';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));
const TEXT =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the sun with her dog. ' +
  'One day, she saw a big red ball in the park and ran to get it. The ball was shiny and round, and Lily was very happy.';
let backend: Backend;
/**
 * Every policy x KV dtype, each in one layout, alternating so that every policy and every dtype runs
 * in both layouts (108 runs); KVKIT_SNAPSHOT_FULL=1 runs every layout for each (216 runs, minutes on
 * a loaded 2-core machine).
 */
function cases(policyIndex: number): (readonly [KvDtype, 'contiguous' | 'paged'])[] {
  const full = process.env.KVKIT_SNAPSHOT_FULL === '1';
  return DTYPES.flatMap((d, di) => LAYOUTS.filter((_, li) => full || (policyIndex + di) % 2 === li).map((l) => [d, l] as const));
}
const models = new Map<string, { model: LlamaModel; prompt: number[] }>();

beforeAll(async () => {
  // The WASM kernels, one thread: the same arithmetic on every machine, and fast enough for 432 runs.
  backend = await createWasmCpuBackend({ threads: 1 });
  for (const name of ['mlkv2', 'yoco']) {
    const loaded = await loadModel(`${MODELS}${name}`);
    const prompt = loaded.tokenizer!.encode(TEXT).slice(0, 32);
    models.set(name, { model: LlamaModel.load(backend, loaded), prompt });
  }
});
afterAll(() => {
  for (const { model } of models.values()) model.dispose();
  backend[Symbol.dispose]();
});

describe.each(['mlkv2', 'yoco'])('%s', (name) => {
  it('the prompt is long enough to compress and, with 40 more, to slide past the window', () => {
    const { model, prompt } = models.get(name)!;
    expect(prompt.length).toBe(32);
    if (name === 'yoco') expect(model.config.slidingWindow?.[0]).toBe(64);
    else expect(new Set(model.config.kvSource).size).toBe(2);
  });

  describe.each(POLICIES.map((p, i) => [...p, i] as const))('%s', (_policyName, policy, pi) => {
    it.each(cases(pi))('%s %s', async (kvDtype, layout) => {
      const { model, prompt } = models.get(name)!;
      const r = await roundTrip(model, model, sessionOptions(policy, kvDtype, layout), prompt, 'continued');
      expect(r.split).toEqual(r.whole);
      expect(r.restored.stats().bytesUsed).toBe(r.wholeSession.stats().bytesUsed);
      expect(r.restored.stats().tokensHeld).toEqual(r.wholeSession.stats().tokensHeld);
      expect(held(r.restored)).toEqual(held(r.wholeSession));
      if (!kiviBits(kvDtype)) expect(r.kvBytes).toBe(r.bytesUsedAtSnapshot);
      r.restored[Symbol.dispose]();
      r.wholeSession[Symbol.dispose]();
    });
  });
});
