// ModelConfig + ModelWeights -> an HF-layout model (config.json fields + one safetensors file), the
// inverse of readHfModel: RoPE must already be in HF's half-split layout.
import type { HostTensor } from '@kvkit/tensor';
import { InvalidArgumentError } from '@kvkit/tensor';
import type { ModelConfig, ModelWeights } from '../model-config.js';
import { LAYER_WEIGHTS } from '../model-shapes.js';
import { writeSafetensors } from '../safetensors.js';
import { HF_LAYER_TENSOR } from './weights.js';

/** config.json for `config`, with the explicit `kv_source` map and per-layer types when windows are used. */
export function hfConfigOf(config: ModelConfig): Record<string, unknown> {
  const windows = new Set((config.slidingWindow ?? []).filter((w): w is number => w != null));
  if (windows.size > 1) throw new InvalidArgumentError(`HF configs hold one sliding_window; this model uses ${[...windows].join(', ')}`);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: config.vocabSize,
    hidden_size: config.dim,
    intermediate_size: config.hiddenDim,
    num_hidden_layers: config.nLayers,
    num_attention_heads: config.nHeads,
    num_key_value_heads: config.nKvHeads,
    head_dim: config.headDim,
    max_position_embeddings: config.contextLength,
    rms_norm_eps: config.normEps,
    rope_theta: config.ropeTheta,
    hidden_act: 'silu',
    tie_word_embeddings: config.tiedEmbeddings,
    bos_token_id: config.bosId,
    eos_token_id: config.eosId,
    kv_source: [...config.kvSource],
    ...(windows.size
      ? { sliding_window: [...windows][0], layer_types: config.slidingWindow!.map((w) => (w == null ? 'full_attention' : 'sliding_attention')) }
      : {}),
  };
}

/** The safetensors file of `weights` under HF Llama names (layers that read another's K/V store no k/v_proj). */
export function hfSafetensorsOf(config: ModelConfig, weights: ModelWeights): Uint8Array {
  if (config.ropeLayout !== 'half') throw new InvalidArgumentError('HF checkpoints use the half-split RoPE layout; permute Q/K first');
  const tensors = new Map<string, HostTensor>([
    ['model.embed_tokens.weight', weights.tokenEmbedding],
    ['model.norm.weight', weights.finalNorm],
  ]);
  if (!config.tiedEmbeddings) tensors.set('lm_head.weight', weights.output);
  weights.layers.forEach((layer, l) => {
    for (const w of LAYER_WEIGHTS) {
      const t = layer[w];
      if (t && (config.kvSource[l] === l || (w !== 'wk' && w !== 'wv'))) tensors.set(`model.layers.${l}.${HF_LAYER_TENSOR[w]}.weight`, t);
    }
  });
  return writeSafetensors(tensors);
}
