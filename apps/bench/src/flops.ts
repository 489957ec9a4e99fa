import type { ModelConfig } from '@kvkit/loaders';

/** Multiply-adds x2 of one token's matmuls (projections, MLP), without the classifier. */
export function bodyFlopsPerToken(c: ModelConfig): number {
  const owners = c.kvSource.filter((s, l) => s === l).length;
  const qo = 2 * c.dim * c.nHeads * c.headDim;
  const kv = 2 * c.dim * c.nKvHeads * c.headDim;
  const mlp = 3 * c.dim * c.hiddenDim;
  return 2 * (c.nLayers * (qo + mlp) + owners * kv);
}

/** QK^T and AV for one query over `keys` keys, every layer. */
export function attentionFlops(c: ModelConfig, keys: number): number {
  return 2 * 2 * c.nLayers * c.nHeads * c.headDim * keys;
}

export function classifierFlops(c: ModelConfig): number {
  return 2 * c.dim * c.vocabSize;
}

/**
 * FLOPs of generating `n` tokens after a prompt of `p` tokens, as kvkit computes them: with the cache
 * each step runs one token; without it, step s reruns all p + s positions (classifier on the last only).
 */
export function generationFlops(c: ModelConfig, p: number, n: number): { cached: number; recompute: number } {
  const body = bodyFlopsPerToken(c);
  const cls = classifierFlops(c);
  let cached = 0;
  let recompute = 0;
  const prefill = (len: number) => {
    let f = len * body + cls;
    for (let t = 0; t < len; t++) f += attentionFlops(c, t + 1);
    return f;
  };
  cached += prefill(p);
  recompute += prefill(p);
  for (let s = 1; s < n; s++) {
    const len = p + s;
    cached += body + cls + attentionFlops(c, len);
    recompute += prefill(len);
  }
  return { cached, recompute };
}
