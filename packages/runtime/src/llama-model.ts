import type { LoadedModel, ModelConfig, ModelWeights } from '@kvkit/loaders';
import type { Backend, HostTensor, Tensor } from '@kvkit/tensor';
import { decode, numel, ShapeMismatchError } from '@kvkit/tensor';
import { modelIdentity } from './snapshot/model-identity.js';

export interface LayerTensors {
  readonly attnNorm: Tensor;
  readonly wq: Tensor;
  /** Absent in layers that read another layer's K/V (kvSource[l] != l). */
  readonly wk?: Tensor;
  readonly wv?: Tensor;
  readonly wo: Tensor;
  readonly ffnNorm: Tensor;
  readonly w1: Tensor;
  readonly w2: Tensor;
  readonly w3: Tensor;
}

/** A Llama-family model's weights uploaded to one backend. */
export class LlamaModel implements Disposable {
  readonly config: ModelConfig;
  readonly backend: Backend;
  readonly tokenEmbedding: Tensor;
  readonly layers: readonly LayerTensors[];
  readonly finalNorm: Tensor;
  readonly output: Tensor;
  /** A hash of the config and a digest of the weights (see `modelIdentity`): snapshots carry it. */
  readonly identity: string;

  private constructor(backend: Backend, config: ModelConfig, weights: ModelWeights) {
    this.backend = backend;
    this.config = config;
    this.identity = modelIdentity(config, weights);
    const up = (t: HostTensor): Tensor => backend.tensor(t.dtype, t.shape, t.data);
    // Norm weights are small and read every token: keep them f32 whatever the file stores.
    const upF32 = (t: HostTensor): Tensor => backend.tensor('f32', t.shape, t.dtype === 'f32' ? t.data : decode(t.dtype, t.data, numel(t.shape)));
    this.tokenEmbedding = up(weights.tokenEmbedding);
    this.output = weights.output === weights.tokenEmbedding ? this.tokenEmbedding : up(weights.output);
    this.finalNorm = upF32(weights.finalNorm);
    this.layers = weights.layers.map((w, l) => {
      const owns = config.kvSource[l] === l;
      if (owns && !(w.wk && w.wv)) throw new ShapeMismatchError(`layer ${l} owns its K/V (kvSource[${l}] = ${l}) but has no wk/wv`);
      return {
        attnNorm: upF32(w.attnNorm),
        wq: up(w.wq),
        ...(owns ? { wk: up(w.wk!), wv: up(w.wv!) } : {}),
        wo: up(w.wo),
        ffnNorm: upF32(w.ffnNorm),
        w1: up(w.w1),
        w2: up(w.w2),
        w3: up(w.w3),
      };
    });
  }

  static load(backend: Backend, model: Pick<LoadedModel, 'config' | 'weights'>): LlamaModel {
    return new LlamaModel(backend, model.config, model.weights);
  }

  /** Parameter count (weights actually used). */
  get parameterCount(): number {
    const all = new Set<Tensor>([this.tokenEmbedding, this.output, this.finalNorm]);
    for (const l of this.layers) for (const t of Object.values(l)) all.add(t);
    let n = 0;
    for (const t of all) n += numel(t.shape);
    return n;
  }

  dispose(): void {
    const all = new Set<Tensor>([this.tokenEmbedding, this.output, this.finalNorm]);
    for (const l of this.layers) for (const t of Object.values(l)) all.add(t);
    for (const t of all) t.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
