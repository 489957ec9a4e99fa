// Configs and random-weight models shared by the tests.
import type { HostTensor } from '@kvkit/tensor';
import type { ModelConfig, ModelWeights } from '../src/index.js';
import { modelShapes } from '../src/index.js';
import { randomF32, rng } from './shared.js';

/** The README table of stories260K.bin. */
export const STORIES_CONFIG: ModelConfig = {
  architecture: 'llama',
  dim: 64,
  hiddenDim: 172,
  nLayers: 5,
  nHeads: 8,
  nKvHeads: 4,
  headDim: 8,
  vocabSize: 512,
  contextLength: 512,
  normEps: 1e-5,
  ropeTheta: 10000,
  ropeLayout: 'adjacent',
  tiedEmbeddings: true,
  kvSource: [0, 1, 2, 3, 4],
  bosId: 1,
  eosId: 2,
};

/** A random-weight model for `config` (f32). */
export function randomWeights(config: ModelConfig, seed: number): ModelWeights {
  const next = rng(seed);
  const s = modelShapes(config);
  const t = (shape: readonly number[]): HostTensor => ({
    dtype: 'f32',
    shape,
    data: new Uint8Array(randomF32(shape.reduce((a, b) => a * b, 1), next).buffer),
  });
  const tokenEmbedding = t(s.tokenEmbedding);
  return {
    tokenEmbedding,
    layers: Array.from({ length: config.nLayers }, () => ({
      attnNorm: t(s.attnNorm), wq: t(s.wq), wk: t(s.wk), wv: t(s.wv), wo: t(s.wo),
      ffnNorm: t(s.ffnNorm), w1: t(s.w1), w2: t(s.w2), w3: t(s.w3),
    })),
    finalNorm: t(s.finalNorm),
    output: config.tiedEmbeddings ? tokenEmbedding : t(s.output),
  };
}

/** A tiny model with a separate classifier (negative vocab_size in llama2.c). */
export const TINY_UNTIED: ModelConfig = {
  ...STORIES_CONFIG,
  dim: 16, hiddenDim: 24, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 4, vocabSize: 20, contextLength: 8,
  tiedEmbeddings: false, kvSource: [0, 1],
};

