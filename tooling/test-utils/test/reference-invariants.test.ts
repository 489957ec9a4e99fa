// Self-checks of the float64 oracle that do not depend on any backend: GQA, RoPE layouts,
// cross-layer K/V sharing, causality and sliding windows, on small random models.
import type { HostTensor } from '@kvkit/tensor';
import type { ModelConfig, ModelWeights } from '@kvkit/loaders';
import { describe, expect, it } from 'vitest';
import { decodeWeights, randomModel, referenceForward, setup } from '../src/index.js';

setup();

const base = { dim: 32, hiddenDim: 48, nLayers: 2, nHeads: 4, vocabSize: 40, contextLength: 64 };
const tokens = [1, 7, 3, 39, 0, 12, 12, 5];
const TIGHT = { atol: 1e-12, rtol: 1e-12 };

const f32 = (t: HostTensor): Float32Array => new Float32Array(t.data.slice().buffer);
const host = (shape: readonly number[], values: Float32Array): HostTensor => ({ dtype: 'f32', shape, data: new Uint8Array(values.buffer) });
/** A [rows, cols] matrix whose row r is row rowOf(r) of `t`. */
function pickRows(t: HostTensor, rows: number, rowOf: (r: number) => number): HostTensor {
  const cols = t.shape[1]!;
  const src = f32(t);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(src.subarray(rowOf(r) * cols, (rowOf(r) + 1) * cols), r * cols);
  return host([rows, cols], out);
}
const logits = (config: ModelConfig, weights: ModelWeights, toks = tokens, window?: number): Float64Array[] =>
  referenceForward(config, decodeWeights(weights), toks, { slidingWindow: () => window });

describe('randomModel', () => {
  it('is deterministic, f32, tied by default, with the shapes of its config', () => {
    const a = randomModel({ ...base, nKvHeads: 2, seed: 5 });
    const b = randomModel({ ...base, nKvHeads: 2, seed: 5 });
    expect(f32(a.weights.layers[1]!.w2)).toEqual(f32(b.weights.layers[1]!.w2));
    expect(a.config).toMatchObject({ headDim: 8, nKvHeads: 2, kvSource: [0, 1], tiedEmbeddings: true, ropeLayout: 'adjacent' });
    expect(a.weights.output).toBe(a.weights.tokenEmbedding);
    expect(a.weights.layers[0]!.wk!.shape).toEqual([16, 32]);
    expect(a.weights.layers[0]!.w2.shape).toEqual([32, 48]);
    const untied = randomModel({ ...base, nKvHeads: 2, seed: 5, tied: false });
    expect(untied.weights.output).not.toBe(untied.weights.tokenEmbedding);
    expect(untied.config.tiedEmbeddings).toBe(false);
  });

  it('refuses a kvSource that reads a later layer or a non-source layer', () => {
    expect(() => randomModel({ ...base, nLayers: 3, nKvHeads: 2, seed: 1, kvSource: [0, 2, 2] })).toThrow();
    expect(() => randomModel({ ...base, nLayers: 3, nKvHeads: 2, seed: 1, kvSource: [0, 0, 1] })).toThrow();
  });
});

describe('referenceForward', () => {
  it('is causal: logits at t do not depend on later tokens', () => {
    const { config, weights } = randomModel({ ...base, nKvHeads: 2, seed: 6 });
    const full = logits(config, weights);
    const prefix = logits(config, weights, tokens.slice(0, 5));
    prefix.forEach((row, t) => expect(row).toBeAllclose(full[t]!, TIGHT));
  });

  it('GQA equals MHA with each KV head repeated for its query heads', () => {
    const { config, weights } = randomModel({ ...base, nKvHeads: 2, seed: 7, tied: false });
    const d = config.headDim;
    const repeat = (t: HostTensor): HostTensor => pickRows(t, config.nHeads * d, (r) => Math.floor(r / d / 2) * d + (r % d));
    const mha: ModelWeights = { ...weights, layers: weights.layers.map((l) => ({ ...l, wk: repeat(l.wk!), wv: repeat(l.wv!) })) };
    const gqa = logits(config, weights);
    logits({ ...config, nKvHeads: config.nHeads }, mha).forEach((row, t) => expect(row).toBeAllclose(gqa[t]!, TIGHT));
  });

  it("'half' RoPE equals 'adjacent' RoPE on q/k rows permuted within each head", () => {
    const { config, weights } = randomModel({ ...base, nKvHeads: 2, seed: 8 });
    const d = config.headDim;
    // half-layout row i pairs with i + d/2; they must be adjacent rows 2i and 2i + 1.
    const perm = (t: HostTensor): HostTensor =>
      pickRows(t, t.shape[0]!, (r) => {
        const [h, i] = [Math.floor(r / d), r % d];
        return h * d + (i < d / 2 ? 2 * i : 2 * (i - d / 2) + 1);
      });
    const half: ModelWeights = { ...weights, layers: weights.layers.map((l) => ({ ...l, wq: perm(l.wq), wk: perm(l.wk!) })) };
    const adjacent = logits(config, weights);
    const halfLogits = logits({ ...config, ropeLayout: 'half' }, half);
    halfLogits.forEach((row, t) => expect(row).toBeAllclose(adjacent[t]!, { atol: 1e-10, rtol: 1e-10 }));
    expect(logits({ ...config, ropeLayout: 'half' }, weights)[4]).not.toBeAllclose(adjacent[4]!, { atol: 1e-3 });
  });

  it("a layer sharing another's K/V ignores its own wk/wv", () => {
    const { config, weights } = randomModel({ ...base, nLayers: 4, nKvHeads: 2, seed: 9, kvSource: [0, 0, 2, 2] });
    const other = randomModel({ ...base, nLayers: 4, nKvHeads: 2, seed: 10 }).weights;
    const swap = (l: number): ModelWeights => ({
      ...weights,
      layers: weights.layers.map((w, i) => (i === l ? { ...w, wk: other.layers[i]!.wk, wv: other.layers[i]!.wv } : w)),
    });
    const shared = logits(config, weights);
    logits(config, swap(1)).forEach((row, t) => expect(row).toBeAllclose(shared[t]!, TIGHT));
    expect(logits(config, swap(0))[7]).not.toBeAllclose(shared[7]!, { atol: 1e-3 });
    expect(logits({ ...config, kvSource: [0, 1, 2, 3] }, weights)[7]).not.toBeAllclose(shared[7]!, { atol: 1e-3 });
  });

  it('a sliding window covering the sequence changes nothing; a window of 2 does', () => {
    const { config, weights } = randomModel({ ...base, nKvHeads: 4, seed: 11 });
    const full = logits(config, weights);
    logits(config, weights, tokens, tokens.length).forEach((row, t) => expect(row).toBeAllclose(full[t]!, TIGHT));
    const windowed = logits(config, weights, tokens, 2);
    windowed.slice(0, 2).forEach((row, t) => expect(row).toBeAllclose(full[t]!, TIGHT));
    expect(windowed[7]).not.toBeAllclose(full[7]!, { atol: 1e-3 });
  });
});
