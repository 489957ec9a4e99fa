// Validates the float64 oracle itself: stories260K's logits at positions 0-2 from an independent
// numpy implementation of llama2.c's run.c (reference_greedy.json, see tooling/fixtures).
import { readFileSync } from 'node:fs';
import type { HostTensor } from '@kvkit/tensor';
import type { ModelConfig, ModelWeights } from '@kvkit/loaders';
import { describe, expect, it } from 'vitest';
import { sharedFixtureDir } from '@kvkit/fixtures';
import { decodeWeights, referenceForward, setup } from '../src/index.js';

setup();

const DIR = sharedFixtureDir('models/stories260K');

/** llama2.c legacy export: 7 int32 header, then f32 arrays (see the model's README). */
function readStories260K(): { config: ModelConfig; weights: ModelWeights } {
  const buf = readFileSync(`${DIR}stories260K.bin`);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = Array.from({ length: 7 }, (_, i) => buf.readInt32LE(4 * i)) as [
    number, number, number, number, number, number, number,
  ];
  const vocabSize = Math.abs(vocab);
  const headDim = dim / nHeads;
  const kvDim = nKvHeads * headDim;
  let offset = 28;
  const take = (shape: number[]): HostTensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t: HostTensor = { dtype: 'f32', shape, data: bytes.subarray(offset, offset + 4 * n) };
    offset += 4 * n;
    return t;
  };
  const perLayer = (shape: number[]): HostTensor[] => Array.from({ length: nLayers }, () => take(shape));
  const tokenEmbedding = take([vocabSize, dim]);
  const attnNorm = perLayer([dim]);
  const wq = perLayer([dim, dim]);
  const wk = perLayer([kvDim, dim]);
  const wv = perLayer([kvDim, dim]);
  const wo = perLayer([dim, dim]);
  const ffnNorm = perLayer([dim]);
  const w1 = perLayer([hiddenDim, dim]);
  const w2 = perLayer([dim, hiddenDim]);
  const w3 = perLayer([hiddenDim, dim]);
  const finalNorm = take([dim]);
  offset += 4 * seqLen * headDim; // freq_cis_real and freq_cis_imag, unused
  const output = vocab > 0 ? tokenEmbedding : take([vocabSize, dim]);
  expect(offset).toBe(bytes.byteLength);
  const config: ModelConfig = {
    architecture: 'llama',
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    headDim,
    vocabSize,
    contextLength: seqLen,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeLayout: 'adjacent',
    tiedEmbeddings: vocab > 0,
    kvSource: Array.from({ length: nLayers }, (_, l) => l),
    bosId: 1,
    eosId: 2,
  };
  const layers = attnNorm.map((_, l) => ({
    attnNorm: attnNorm[l]!,
    wq: wq[l]!,
    wk: wk[l]!,
    wv: wv[l]!,
    wo: wo[l]!,
    ffnNorm: ffnNorm[l]!,
    w1: w1[l]!,
    w2: w2[l]!,
    w3: w3[l]!,
  }));
  return { config, weights: { tokenEmbedding, layers, finalNorm, output } };
}

describe('reference forward on stories260K', () => {
  it('reproduces the logits of positions 0-2 within 1e-4', () => {
    const golden = JSON.parse(readFileSync(`${DIR}reference_greedy.json`, 'utf8')) as {
      input_tokens_first3: number[];
      logits_first3: number[][];
    };
    const { config, weights } = readStories260K();
    const logits = referenceForward(config, decodeWeights(weights), golden.input_tokens_first3);
    expect(logits).toHaveLength(3);
    for (let t = 0; t < 3; t++) {
      expect(logits[t], `position ${t}`).toBeAllclose(golden.logits_first3[t]!, { atol: 1e-4, rtol: 0 });
    }
  });
});
