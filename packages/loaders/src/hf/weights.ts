// HF Llama tensor names -> ModelWeights, every shape checked against the config.
import type { HostTensor } from '@kvkit/tensor';
import { decode, numel } from '@kvkit/tensor';
import { MalformedFileError } from '../errors.js';
import type { LayerWeights, ModelConfig, ModelWeights } from '../model-config.js';
import type { LayerWeightName } from '../model-shapes.js';
import { LAYER_WEIGHTS, modelShapes, sameShape } from '../model-shapes.js';

/** HF module path (inside `model.layers.{l}.`, without `.weight`) of each per-layer weight. */
export const HF_LAYER_TENSOR: Readonly<Record<LayerWeightName, string>> = {
  attnNorm: 'input_layernorm',
  wq: 'self_attn.q_proj',
  wk: 'self_attn.k_proj',
  wv: 'self_attn.v_proj',
  wo: 'self_attn.o_proj',
  ffnNorm: 'post_attention_layernorm',
  w1: 'mlp.gate_proj',
  w2: 'mlp.down_proj',
  w3: 'mlp.up_proj',
};
const NORMS = new Set<LayerWeightName>(['attnNorm', 'ffnNorm']);

function asF32(t: HostTensor): HostTensor {
  if (t.dtype === 'f32') return t;
  const values = decode(t.dtype, t.data, numel(t.shape));
  return { dtype: 'f32', shape: t.shape, data: new Uint8Array(values.buffer) };
}

/**
 * The weights of `config` from HF-named tensors (all shards together). A layer that reads another
 * layer's K/V may omit k_proj/v_proj; every other tensor must be there with its exact shape, and a
 * tensor no weight uses is an error (a sign of an architecture this loader does not understand).
 */
export function weightsFromHf(config: ModelConfig, tensors: ReadonlyMap<string, HostTensor>): ModelWeights {
  const shapes = modelShapes(config);
  const used = new Set<string>();
  const get = (name: string, shape: readonly number[], optional = false): HostTensor | undefined => {
    const t = tensors.get(name);
    if (!t) {
      if (optional) return undefined;
      throw new MalformedFileError(`safetensors: tensor '${name}' is missing`);
    }
    if (!sameShape(t.shape, shape)) throw new MalformedFileError(`safetensors: tensor '${name}' is [${t.shape.join(', ')}], expected [${shape.join(', ')}] for this config`);
    used.add(name);
    return t;
  };
  const tokenEmbedding = get('model.embed_tokens.weight', shapes.tokenEmbedding)!;
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const layer: Partial<Record<LayerWeightName, HostTensor>> = {};
    const owns = config.kvSource[l] === l;
    for (const w of LAYER_WEIGHTS) {
      const t = get(`model.layers.${l}.${HF_LAYER_TENSOR[w]}.weight`, shapes[w], !owns && (w === 'wk' || w === 'wv'));
      if (t) layer[w] = NORMS.has(w) ? asF32(t) : t;
    }
    layers.push(layer as LayerWeights);
  }
  const finalNorm = asF32(get('model.norm.weight', shapes.finalNorm)!);
  const lmHead = get('lm_head.weight', shapes.output, config.tiedEmbeddings);
  for (const name of tensors.keys()) {
    // Rotary tables some exporters save are recomputed, never read.
    if (!used.has(name) && !name.endsWith('rotary_emb.inv_freq')) throw new MalformedFileError(`safetensors: unexpected tensor '${name}' for a Llama model`);
  }
  return { tokenEmbedding, layers, finalNorm, output: config.tiedEmbeddings ? tokenEmbedding : lmHead! };
}
