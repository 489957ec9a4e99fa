// Random Llama models (f32 weights) for tests of the runtime and of cache sharing.
import type { HostTensor } from '@kvkit/tensor';
import { InvalidArgumentError } from '@kvkit/tensor';
import type { LayerWeights, ModelConfig, ModelWeights } from '@kvkit/loaders';
import { Rng } from './rng.js';

export interface RandomModelOptions {
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  /** kvSource[l] <= l, and a source is its own source; default identity. */
  readonly kvSource?: readonly number[];
  readonly seed: number;
  /** Classifier shares the token embedding (default true, as llama2.c). */
  readonly tied?: boolean;
  readonly ropeLayout?: ModelConfig['ropeLayout'];
}

function hostF32(shape: number[], values: Float32Array): HostTensor {
  return { dtype: 'f32', shape, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/**
 * A random Llama model with f32 weights: matrices N(0, 1/fan_in), norms uniform in 1 ± 0.1, so
 * activations and logits stay of unit scale and attention is neither uniform nor one-hot.
 * Layers that read another layer's K/V still get (unused) wk/wv, so a runtime that wrongly uses
 * them gives different logits.
 */
export function randomModel(o: RandomModelOptions): { config: ModelConfig; weights: ModelWeights } {
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize } = o;
  const kvSource = o.kvSource ?? Array.from({ length: nLayers }, (_, l) => l);
  if (dim % nHeads || nHeads % nKvHeads) throw new InvalidArgumentError(`randomModel: dim ${dim}, ${nHeads} heads, ${nKvHeads} KV heads`);
  if (kvSource.length !== nLayers || kvSource.some((s, l) => !(s >= 0 && s <= l && kvSource[s] === s))) {
    throw new InvalidArgumentError(`randomModel: bad kvSource [${kvSource.join(', ')}]`);
  }
  const headDim = dim / nHeads;
  const rng = new Rng(o.seed);
  const matrix = (rows: number, cols: number): HostTensor => {
    const std = 1 / Math.sqrt(cols);
    return hostF32([rows, cols], Float32Array.from({ length: rows * cols }, () => rng.normal(0, std)));
  };
  const norm = (): HostTensor => hostF32([dim], Float32Array.from({ length: dim }, () => rng.uniform(0.9, 1.1)));
  const tokenEmbedding = matrix(vocabSize, dim);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < nLayers; l++) {
    layers.push({
      attnNorm: norm(),
      wq: matrix(nHeads * headDim, dim),
      wk: matrix(nKvHeads * headDim, dim),
      wv: matrix(nKvHeads * headDim, dim),
      wo: matrix(dim, nHeads * headDim),
      ffnNorm: norm(),
      w1: matrix(hiddenDim, dim),
      w2: matrix(dim, hiddenDim),
      w3: matrix(hiddenDim, dim),
    });
  }
  const finalNorm = norm();
  const tied = o.tied ?? true;
  const config: ModelConfig = {
    architecture: 'llama',
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    headDim,
    vocabSize,
    contextLength: o.contextLength,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeLayout: o.ropeLayout ?? 'adjacent',
    tiedEmbeddings: tied,
    kvSource,
    bosId: 1,
    eosId: 2,
  };
  return { config, weights: { tokenEmbedding, layers, finalNorm, output: tied ? tokenEmbedding : matrix(vocabSize, dim) } };
}
