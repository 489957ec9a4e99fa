// The float64 oracle of a Llama forward pass: full sequence, causal, no cache. Written for clarity:
// every step is one reference op over the whole sequence.
import type { HostTensor } from '@kvkit/tensor';
import { decode, InvalidArgumentError, numel } from '@kvkit/tensor';
import type { LayerWeights, ModelConfig, ModelWeights } from '@kvkit/loaders';
import * as ops from './ops.js';

/** ModelWeights decoded to float64 (same names and row-major layouts). */
export type ReferenceLayerWeights = { readonly [K in keyof LayerWeights]: Float64Array };
export interface ReferenceWeights {
  readonly tokenEmbedding: Float64Array;
  readonly layers: readonly ReferenceLayerWeights[];
  readonly finalNorm: Float64Array;
  readonly output: Float64Array;
}

/** Decode weights of any dtype to float64 values. */
export function decodeWeights(weights: ModelWeights): ReferenceWeights {
  const dec = (t: HostTensor): Float64Array => Float64Array.from(decode(t.dtype, t.data, numel(t.shape)));
  const tokenEmbedding = dec(weights.tokenEmbedding);
  return {
    tokenEmbedding,
    layers: weights.layers.map((l) => ({
      attnNorm: dec(l.attnNorm),
      wq: dec(l.wq),
      ...(l.wk && l.wv ? { wk: dec(l.wk), wv: dec(l.wv) } : {}),
      wo: dec(l.wo),
      ffnNorm: dec(l.ffnNorm),
      w1: dec(l.w1),
      w2: dec(l.w2),
      w3: dec(l.w3),
    })),
    finalNorm: dec(weights.finalNorm),
    output: weights.output === weights.tokenEmbedding ? tokenEmbedding : dec(weights.output),
  };
}

export interface ReferenceForwardOptions {
  /** Sliding window of layer l (keys at positions <= query - window are masked); undefined = full. */
  readonly slidingWindow?: (layer: number) => number | undefined;
}

/**
 * Causal self-attention of q[T, nHeads * d] over k, v[T, nKvHeads * d] at positions 0..T-1;
 * query head h reads KV head floor(h / (nHeads / nKvHeads)).
 */
function causalAttention(q: Float64Array, k: Float64Array, v: Float64Array, T: number, config: ModelConfig, window: number): Float64Array {
  const { nHeads, nKvHeads, headDim: d } = config;
  const group = nHeads / nKvHeads;
  const out = new Float64Array(T * nHeads * d);
  for (let h = 0; h < nHeads; h++) {
    const kh = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const first = Math.max(0, t - window + 1);
      const scores = new Float64Array(t + 1 - first);
      for (let s = first; s <= t; s++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[(t * nHeads + h) * d + c]! * k[(s * nKvHeads + kh) * d + c]!;
        scores[s - first] = dot / Math.sqrt(d);
      }
      const p = ops.softmax(scores, scores.length);
      for (let s = first; s <= t; s++) {
        for (let c = 0; c < d; c++) out[(t * nHeads + h) * d + c] += p[s - first]! * v[(s * nKvHeads + kh) * d + c]!;
      }
    }
  }
  return out;
}

/**
 * Logits [vocabSize] at every position of `tokens` (positions 0..T-1). Layer l attends over the
 * K/V computed by layer kvSource[l]; layers that are not their own source compute no K/V.
 */
export function referenceForward(config: ModelConfig, weights: ReferenceWeights, tokens: ArrayLike<number>, opts: ReferenceForwardOptions = {}): Float64Array[] {
  const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize, normEps: eps } = config;
  const T = tokens.length;
  const positions = Array.from({ length: T }, (_, t) => t);
  const rope = (x: Float64Array, heads: number): Float64Array =>
    ops.rope(x, positions, { nHeads: heads, headDim, theta: config.ropeTheta, layout: config.ropeLayout });
  const kv: { k: Float64Array; v: Float64Array }[] = [];
  let x = ops.embed(weights.tokenEmbedding, dim, tokens);
  for (let l = 0; l < config.nLayers; l++) {
    const w = weights.layers[l]!;
    const src = config.kvSource[l]!;
    const xn = ops.rmsnorm(x, w.attnNorm, eps);
    const q = rope(ops.matmul(xn, w.wq, T, nHeads * headDim, dim), nHeads);
    if (src === l) {
      if (!w.wk || !w.wv) throw new InvalidArgumentError(`layer ${l} owns its K/V but has no wk/wv`);
      const k = rope(ops.matmul(xn, w.wk, T, nKvHeads * headDim, dim), nKvHeads);
      kv[l] = { k, v: ops.matmul(xn, w.wv, T, nKvHeads * headDim, dim) };
    }
    const shared = kv[src];
    if (!shared) throw new InvalidArgumentError(`layer ${l} reads K/V of layer ${src}, which computes none before it`);
    const att = causalAttention(q, shared.k, shared.v, T, config, opts.slidingWindow?.(l) ?? Infinity);
    x = ops.add(x, ops.matmul(att, w.wo, T, dim, nHeads * headDim));
    const xn2 = ops.rmsnorm(x, w.ffnNorm, eps);
    const ffn = ops.siluMul(ops.matmul(xn2, w.w1, T, hiddenDim, dim), ops.matmul(xn2, w.w3, T, hiddenDim, dim));
    x = ops.add(x, ops.matmul(ffn, w.w2, T, dim, hiddenDim));
  }
  const logits = ops.matmul(ops.rmsnorm(x, weights.finalNorm, eps), weights.output, T, vocabSize, dim);
  return positions.map((t) => logits.slice(t * vocabSize, (t + 1) * vocabSize));
}
