// Cross-layer and head sharing on random-weight models against the float64 reference forward.
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '@kvkit/loaders';
import { bytesPerToken, cacheBytes, kvSourceCla, kvSourceIdentity, kvSourceMlkv, kvSourceSharedTail, yocoConfig } from '@kvkit/cache';
import { decodeWeights, randomModel, referenceForward } from '@kvkit/test-utils';
import { CpuBackend } from '@kvkit/tensor';
import { LlamaModel, Session } from '../src/index.js';

const cpu = new CpuBackend();
const L = 8;

interface Case {
  name: string;
  nKvHeads: number;
  kvSource: number[];
  slidingWindow?: (number | null)[];
  tied?: boolean;
  ropeLayout?: ModelConfig['ropeLayout'];
}

const yoco = yocoConfig(L, 6);
const cases: Case[] = [
  { name: 'MHA', nKvHeads: 4, kvSource: kvSourceIdentity(L) },
  { name: 'GQA', nKvHeads: 2, kvSource: kvSourceIdentity(L), tied: false },
  { name: 'MQA', nKvHeads: 1, kvSource: kvSourceIdentity(L), ropeLayout: 'half' },
  { name: 'MLKV-4', nKvHeads: 2, kvSource: kvSourceMlkv(L, 4) },
  { name: 'MLKV-2', nKvHeads: 1, kvSource: kvSourceMlkv(L, 2) },
  { name: 'CLA-2', nKvHeads: 2, kvSource: kvSourceCla(L, 2) },
  { name: 'shared tail 3', nKvHeads: 2, kvSource: kvSourceSharedTail(L, 3) },
  { name: 'YOCO', nKvHeads: 2, kvSource: yoco.kvSource, slidingWindow: yoco.slidingWindow },
];

describe.each(cases)('$name', (c) => {
  it('matches the float64 reference at every position, prefill in chunks then decoding', async () => {
    const rm = randomModel({ dim: 32, hiddenDim: 64, nLayers: L, nHeads: 4, nKvHeads: c.nKvHeads, vocabSize: 64, contextLength: 64, kvSource: c.kvSource, seed: 5, tied: c.tied ?? true, ropeLayout: c.ropeLayout ?? 'adjacent' });
    const config: ModelConfig = c.slidingWindow ? { ...rm.config, slidingWindow: c.slidingWindow } : rm.config;
    const tokens = Array.from({ length: 30 }, (_, i) => (i * 37 + 11) % 64);
    const ref = referenceForward(config, decodeWeights(rm.weights), tokens, { slidingWindow: (l) => c.slidingWindow?.[l] ?? undefined });
    using model = LlamaModel.load(cpu, { config, weights: rm.weights });
    using session = new Session(model);
    const got: Float32Array[] = [];
    const prefill = await session.append(tokens.slice(0, 12), { allLogits: true });
    for (let i = 0; i < 12; i++) got.push(prefill.subarray(i * 64, (i + 1) * 64));
    const chunk = await session.append(tokens.slice(12, 17), { allLogits: true });
    for (let i = 0; i < 5; i++) got.push(chunk.subarray(i * 64, (i + 1) * 64));
    for (const t of tokens.slice(17)) got.push(await session.append([t]));
    let worst = 0;
    got.forEach((row, p) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ref[p]![j]!)))));
    expect(worst).toBeLessThan(1e-4);

    // Only source layers hold K/V; the bytes equal the formula (a window holds min(t, w)).
    const st = session.stats();
    const owners = c.kvSource.filter((s, l) => s === l);
    expect(st.bytesPerToken).toBe(bytesPerToken({ kvSource: c.kvSource, nKvHeads: c.nKvHeads, headDim: 8, kvDtype: 'f32' }));
    const held = owners.reduce((s, l) => s + c.nKvHeads * Math.min(30, c.slidingWindow?.[l] ?? 30), 0);
    expect(st.bytesUsed).toBe(held * 2 * 8 * 4);
    expect(st.bytesUsed).toBe(cacheBytes({ kvSource: c.kvSource, nKvHeads: c.nKvHeads, headDim: 8, kvDtype: 'f32', ...(c.slidingWindow ? { slidingWindow: c.slidingWindow } : {}) }, 30));
  });
});
