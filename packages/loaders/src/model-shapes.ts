import type { HostTensor } from '@kvkit/tensor';
import { InvalidArgumentError } from '@kvkit/tensor';
import type { LayerWeights, ModelConfig } from './model-config.js';

/** Row-major [out, in] shape of every weight of a Llama model, per layer where it applies. */
export interface ModelShapes {
  readonly tokenEmbedding: readonly number[];
  readonly attnNorm: readonly number[];
  readonly wq: readonly number[];
  readonly wk: readonly number[];
  readonly wv: readonly number[];
  readonly wo: readonly number[];
  readonly ffnNorm: readonly number[];
  readonly w1: readonly number[];
  readonly w2: readonly number[];
  readonly w3: readonly number[];
  readonly finalNorm: readonly number[];
  readonly output: readonly number[];
}

export type LayerWeightName = 'attnNorm' | 'wq' | 'wk' | 'wv' | 'wo' | 'ffnNorm' | 'w1' | 'w2' | 'w3';

/** The per-layer weights in llama2.c file order. */
export const LAYER_WEIGHTS: readonly LayerWeightName[] = ['attnNorm', 'wq', 'wk', 'wv', 'wo', 'ffnNorm', 'w1', 'w2', 'w3'];

export function modelShapes(c: ModelConfig): ModelShapes {
  const kvDim = c.nKvHeads * c.headDim;
  const qDim = c.nHeads * c.headDim;
  return {
    tokenEmbedding: [c.vocabSize, c.dim],
    attnNorm: [c.dim],
    wq: [qDim, c.dim],
    wk: [kvDim, c.dim],
    wv: [kvDim, c.dim],
    wo: [c.dim, qDim],
    ffnNorm: [c.dim],
    w1: [c.hiddenDim, c.dim],
    w2: [c.dim, c.hiddenDim],
    w3: [c.hiddenDim, c.dim],
    finalNorm: [c.dim],
    output: [c.vocabSize, c.dim],
  };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A layer's weight `w`, for writers of formats that store every weight of every layer. */
export function requiredWeight(layer: LayerWeights, w: LayerWeightName, where: string): HostTensor {
  const t = layer[w];
  if (!t) throw new InvalidArgumentError(`${where}: ${w} is missing (a layer sharing another's K/V cannot be stored in this format)`);
  return t;
}
