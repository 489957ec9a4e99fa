// Policies inside a real decode loop on stories260K: budgets hold, memory is freed, and the
// attention after eviction is the attention over exactly the kept tokens.
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import type { PolicyInput } from '@kvkit/cache';
import { decodeWeights, referenceForward } from '@kvkit/test-utils';
import { CpuBackend } from '@kvkit/tensor';
import { argmax, generate, LlamaModel, Session } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';

let loaded: LoadedModel;
let model: LlamaModel;
let prompt: number[];
beforeAll(async () => {
  loaded = await loadModel(`${STORIES}stories260K.bin`);
  model = LlamaModel.load(new CpuBackend(), loaded);
  prompt = [1, ...reference.generated_ids.slice(0, 119)];
});

async function run(policy: PolicyInput | undefined, budget: number, n = 40) {
  const session = new Session(model, policy ? { policy: { policy, budget: { budget } } } : {});
  const out: number[] = [];
  for await (const t of generate(session, prompt, { maxTokens: n, stopTokens: [] })) out.push(t.token);
  return { session, out };
}

describe('policies in the decode loop', () => {
  it('full keeps every token and generates exactly the baseline tokens', async () => {
    const base = await run(undefined, 0);
    const full = await run({ kind: 'full' }, 0);
    expect(full.out).toEqual(base.out);
    expect(full.session.stats().bytesUsed).toBe(base.session.stats().bytesUsed);
  });

  it.each([
    ['window', { kind: 'window', window: 32 }],
    ['streaming', { kind: 'streaming' }],
    ['h2o', { kind: 'h2o' }],
    ['tova', { kind: 'tova' }],
  ] as [string, PolicyInput][])('%s stays within budget while decoding and frees pages', async (_, policy) => {
    const B = 32;
    const { session } = await run(policy, B);
    const st = session.stats();
    for (const layer of st.tokensHeld) for (const held of layer) expect(held).toBeLessThanOrEqual(B);
    expect(st.bytesUsed).toBe(st.tokensHeld.flat().reduce((a, b) => a + b, 0) * 2 * 8 * 4);
    expect(st.bytesReserved).toBeLessThanOrEqual(5 * 4 * Math.ceil(B / 16) * 16 * 2 * 8 * 4);
    const prefill = session.compressions[0]!;
    expect(prefill.layers.every((l) => l.heads.every((h) => h.before === 120 && h.after <= B))).toBe(true);
  });

  it('streaming keeps the sinks and the newest tokens', async () => {
    const { session } = await run({ kind: 'streaming', sinks: 4 }, 24);
    const pos = Array.from(session.cache.layer(2).positionsOf(1)).sort((a, b) => a - b);
    const last = session.position - 1;
    expect(pos).toEqual([0, 1, 2, 3, ...Array.from({ length: 20 }, (_, i) => last - 19 + i)]);
  });

  it('a window policy from BOS is exactly sliding-window attention (float64 reference)', async () => {
    const W = 16;
    const session = new Session(model, { policy: { policy: { kind: 'window', window: W }, budget: { budget: W } } });
    const tokens = [1];
    const logits: Float32Array[] = [await session.append([1])];
    for (let i = 0; i < 50; i++) {
      const next = argmax(logits[logits.length - 1]!);
      tokens.push(next);
      logits.push(await session.append([next]));
    }
    const ref = referenceForward(loaded.config, decodeWeights(loaded.weights), tokens, { slidingWindow: () => W });
    let worst = 0;
    logits.forEach((row, p) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ref[p]![j]!)))));
    expect(worst).toBeLessThan(1e-4);
    expect(session.stats().tokensHeld[0]).toEqual([W, W, W, W]);
  });

  it.each(['snapkv', 'pyramidkv', 'adakv', 'dynamickv'] as const)('%s compresses the prompt to the budget (whole cache)', async (kind) => {
    const B = 48;
    const { session } = await run({ kind, window: 8 } as PolicyInput, B, 10);
    const held = session.compressions[0]!.layers.map((l) => l.heads.reduce((s, h) => s + h.after, 0));
    // Per-layer budgets may differ (PyramidKV, DynamicKV) and per-head (Ada-KV), never the total.
    expect(held.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5 * 4 * B);
    expect(held.reduce((a, b) => a + b, 0)).toBeGreaterThan(5 * 4 * (B - 8) * 0.9);
    const freed = session.compressions[0]!.layers.reduce((s, l) => s + l.bytesFreed, 0);
    expect(freed).toBe((5 * 4 * 120 - held.reduce((a, b) => a + b, 0)) * 2 * 8 * 4);
  });

  it('recompresses prefill methods every interval while decoding', async () => {
    const session = new Session(model, { policy: { policy: { kind: 'snapkv', window: 8 }, budget: { budget: 40 }, recompressInterval: 16 } });
    for await (const _ of generate(session, prompt, { maxTokens: 50, stopTokens: [] })) void _;
    expect(session.compressions.map((c) => c.phase)).toEqual(['prefill', 'decode', 'decode', 'decode']);
    for (const held of session.stats().tokensHeld.flat()) expect(held).toBeLessThanOrEqual(40 + 16);
  });

  it.each([
    ['f32', 40_000],
    ['int8', 40_000],
    ['kivi4', 40_000],
  ] as const)('a byte budget bounds the whole cache after every step (%s)', async (kvDtype, maxBytes) => {
    const session = new Session(model, { kvDtype, policy: { policy: { kind: 'streaming' }, budget: { maxBytes } } });
    let peak = 0;
    for await (const _ of generate(session, prompt, { maxTokens: 300, stopTokens: [] })) peak = Math.max(peak, session.stats().bytesUsed);
    const st = session.stats();
    expect(peak).toBeLessThanOrEqual(maxBytes);
    // and it is the largest per-layer budget that fits: one more token per head would pass it on its way
    const B = session.budget!;
    expect(session.cache.peakBytesAt(B + 1)).toBeGreaterThan(maxBytes);
    expect(st.tokensHeld.flat().every((n) => n === B)).toBe(true);
  });

  it('rejects budgets smaller than the policy needs, before generating', () => {
    expect(() => new Session(model, { policy: { policy: { kind: 'snapkv', window: 32 }, budget: { budget: 16 } } })).toThrow(expect.objectContaining({ code: 'BUDGET_TOO_SMALL' }));
    expect(() => new Session(model, { mode: 'recompute', policy: { policy: { kind: 'full' }, budget: { ratio: 1 } } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
