import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LoadedModel, ModelWeights } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders';
import type { DType, HostTensor } from '@kvkit/tensor';
import { CpuBackend, decode, encode, numel } from '@kvkit/tensor';
import { evaluateNll, LlamaModel } from '../src/index.js';
import { STORIES } from './shared-model.js';

const TEXT = fileURLToPath(new URL('../../../../shared/data/tinystories-valid-prefix/tinystories_val.txt', import.meta.url));

/** Re-encode every matrix whose rows are whole 32-value blocks (w2's rows of 172 stay f32). */
function quantize(model: LoadedModel, dtype: DType): LoadedModel {
  const q = (t: HostTensor): HostTensor => {
    const cols = t.shape[t.shape.length - 1]!;
    if (t.shape.length !== 2 || cols % 32) return t;
    return { dtype, shape: t.shape, data: encode(dtype, decode(t.dtype, t.data, numel(t.shape))) };
  };
  const w = model.weights;
  const embedding = q(w.tokenEmbedding);
  const weights: ModelWeights = {
    tokenEmbedding: embedding,
    output: w.output === w.tokenEmbedding ? embedding : q(w.output),
    finalNorm: w.finalNorm,
    layers: w.layers.map((l) => ({ ...l, wq: q(l.wq), wk: q(l.wk), wv: q(l.wv), wo: q(l.wo), w1: q(l.w1), w2: q(l.w2), w3: q(l.w3) })),
  };
  return { ...model, weights };
}

describe('quantised weights on a real model', () => {
  it('Q8_0 stories260K scores TinyStories within 1% of F32 NLL', async () => {
    const f32 = await loadModel(`${STORIES}stories260K.bin`);
    const text = readFileSync(TEXT, 'utf8').slice(0, 6000);
    const ids = f32.tokenizer!.encode(text);
    const windows = [ids.slice(0, 512), [1, ...ids.slice(512, 1023)]];
    const backend = new CpuBackend();
    const base = await evaluateNll(LlamaModel.load(backend, f32), windows);
    const q8 = await evaluateNll(LlamaModel.load(backend, quantize(f32, 'q8_0')), windows);
    const q4 = await evaluateNll(LlamaModel.load(backend, quantize(f32, 'q4_0')), windows);
    expect(base.tokens).toBe(1022);
    expect(base.nll).toBeGreaterThan(1);
    expect(base.nll).toBeLessThan(2); // ~1.44 nats/token on TinyStories for this model
    expect(Math.abs(q8.nll - base.nll) / base.nll).toBeLessThan(0.01);
    // Q4_0 costs more but still models the text; a broken kernel would be far off.
    expect(Math.abs(q4.nll - base.nll) / base.nll).toBeLessThan(0.1);
  }, 60_000);
});
