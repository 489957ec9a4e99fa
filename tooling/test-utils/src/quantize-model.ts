import type { LoadedModel, ModelWeights } from '@kvkit/loaders';
import type { DType, HostTensor } from '@kvkit/tensor';
import { decode, encode, numel } from '@kvkit/tensor';

/**
 * The same model with every matrix whose rows are whole 32-value blocks re-encoded as `dtype`
 * (stories260K's w2 rows of 172 stay f32); norms untouched, a tied classifier stays tied.
 */
export function quantizeModel<M extends Pick<LoadedModel, 'weights'>>(model: M, dtype: DType): M {
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
    layers: w.layers.map((l) => ({ ...l, wq: q(l.wq), ...(l.wk && l.wv ? { wk: q(l.wk), wv: q(l.wv) } : {}), wo: q(l.wo), w1: q(l.w1), w2: q(l.w2), w3: q(l.w3) })),
  };
  return { ...model, weights };
}
