// GGUF files of architecture "llama" <-> LoadedModel, with llama.cpp's key and tensor names.
import type { DType, HostTensor } from '@kvkit/tensor';
import { InvalidArgumentError, blockInfo, decode, encode, numel } from '@kvkit/tensor';
import { bytesEqual } from '../byte-view.js';
import { chatTemplateFromGguf } from '../chat-template.js';
import { MalformedFileError, UnsupportedModelError } from '../errors.js';
import { buildLlamaConfig } from '../llama-config.js';
import type { LayerWeights, LoadedModel, ModelConfig, ModelWeights } from '../model-config.js';
import type { LayerWeightName } from '../model-shapes.js';
import { LAYER_WEIGHTS, modelShapes, requiredWeight, sameShape } from '../model-shapes.js';
import type { SentencePieceBpeTokenizer } from '../sentencepiece-tokenizer.js';
import { metaFloat, metaString, metaUint } from './metadata.js';
import type { GgufFile } from './reader.js';
import { readGguf } from './reader.js';
import { tokenizerFromGguf, tokenizerMetadata } from './tokenizer.js';
import type { GgufValue } from './value.js';
import { writeGguf } from './writer.js';

/** llama.cpp tensor name (without ".weight") of each per-layer weight. */
const LAYER_TENSOR: Readonly<Record<LayerWeightName, string>> = {
  attnNorm: 'attn_norm',
  wq: 'attn_q',
  wk: 'attn_k',
  wv: 'attn_v',
  wo: 'attn_output',
  ffnNorm: 'ffn_norm',
  w1: 'ffn_gate',
  w2: 'ffn_down',
  w3: 'ffn_up',
};
const NORMS = new Set<LayerWeightName>(['attnNorm', 'ffnNorm']);

/** llama.cpp general.file_type (llama_ftype) for a file whose matrices are mostly `dtype`. */
const FILE_TYPE: Readonly<Partial<Record<DType, number>>> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7, bf16: 32 };

/** Norm weights are always f32 in kvkit; some converters store them as f16/bf16. */
function asF32(t: HostTensor): HostTensor {
  if (t.dtype === 'f32') return t;
  const values = decode(t.dtype, t.data, numel(t.shape));
  return { dtype: 'f32', shape: t.shape, data: new Uint8Array(values.buffer) };
}

/** Rejects llama-architecture features this loader would otherwise silently compute wrongly. */
function checkSupported(file: GgufFile, headDim: number): void {
  const m = file.metadata;
  const ropeDims = m.has('llama.rope.dimension_count') ? metaUint(m, 'llama.rope.dimension_count') : headDim;
  if (ropeDims !== headDim) throw new UnsupportedModelError(`GGUF: partial RoPE (${ropeDims} of ${headDim} dims) is not supported`);
  const scaling = metaString(m, 'llama.rope.scaling.type');
  if (scaling !== undefined && scaling !== 'none') throw new UnsupportedModelError(`GGUF: RoPE scaling '${scaling}' is not supported`);
  if (file.tensors.has('rope_freqs.weight')) throw new UnsupportedModelError('GGUF: rope_freqs (Llama 3.1 RoPE scaling) is not supported');
  if (metaUint(m, 'llama.expert_count', 0) > 0) throw new UnsupportedModelError('GGUF: mixture-of-experts llama models are not supported');
  for (const name of file.tensors.keys()) {
    if (name.endsWith('.bias')) throw new UnsupportedModelError(`GGUF: bias tensors ('${name}') are not supported`);
  }
}

/** The model of a parsed GGUF file of architecture "llama" (tensors keep their dtype; norms become f32). */
export function loadLlamaGguf(file: GgufFile): LoadedModel {
  const m = file.metadata;
  const arch = metaString(m, 'general.architecture');
  if (arch === undefined) throw new MalformedFileError('GGUF: general.architecture is missing');
  if (arch !== 'llama') throw new UnsupportedModelError(`GGUF: architecture '${arch}' is not supported (only llama)`);
  if (m.get('llama.attention.head_count_kv')?.type === 'array') {
    throw new UnsupportedModelError('GGUF: per-layer attention.head_count_kv is not supported');
  }
  const tensor = (name: string): HostTensor => {
    const t = file.tensors.get(name);
    if (!t) throw new MalformedFileError(`GGUF: tensor '${name}' is missing`);
    return t;
  };
  const embd = tensor('token_embd.weight');
  if (embd.shape.length !== 2) throw new MalformedFileError(`GGUF: token_embd.weight is [${embd.shape.join(', ')}], expected 2-D`);
  const nHeads = metaUint(m, 'llama.attention.head_count');
  const tokenizer = tokenizerFromGguf(m);
  const outputT = file.tensors.get('output.weight');
  // Converters sometimes store a copy of the embedding as output.weight: share it, it is still tied.
  const tied = outputT === undefined || (outputT.dtype === embd.dtype && sameShape(outputT.shape, embd.shape) && bytesEqual(outputT.data, embd.data));
  const config = buildLlamaConfig(
    'GGUF',
    {
      dim: metaUint(m, 'llama.embedding_length'),
      hiddenDim: metaUint(m, 'llama.feed_forward_length'),
      nLayers: metaUint(m, 'llama.block_count'),
      nHeads,
      nKvHeads: metaUint(m, 'llama.attention.head_count_kv', nHeads),
      vocabSize: embd.shape[0],
      contextLength: metaUint(m, 'llama.context_length'),
    },
    {
      normEps: metaFloat(m, 'llama.attention.layer_norm_rms_epsilon'),
      ropeTheta: metaFloat(m, 'llama.rope.freq_base', 10000),
      tiedEmbeddings: tied,
      bosId: tokenizer?.bosId ?? metaUint(m, 'tokenizer.ggml.bos_token_id', 1),
      eosId: tokenizer?.eosId ?? metaUint(m, 'tokenizer.ggml.eos_token_id', 2),
    },
  );
  checkSupported(file, config.headDim);
  if (m.has('llama.vocab_size') && metaUint(m, 'llama.vocab_size') !== config.vocabSize) {
    throw new MalformedFileError(`GGUF: llama.vocab_size ${metaUint(m, 'llama.vocab_size')} != token_embd rows ${config.vocabSize}`);
  }
  if (tokenizer && tokenizer.vocabSize > config.vocabSize) {
    throw new MalformedFileError(`GGUF: ${tokenizer.vocabSize} tokens but only ${config.vocabSize} embedding rows`);
  }

  const shapes = modelShapes(config);
  const shaped = (name: string, shape: readonly number[]): HostTensor => {
    const t = tensor(name);
    if (!sameShape(t.shape, shape)) {
      throw new MalformedFileError(`GGUF: tensor '${name}' is [${t.shape.join(', ')}], expected [${shape.join(', ')}] for this config`);
    }
    return t;
  };
  const tokenEmbedding = shaped('token_embd.weight', shapes.tokenEmbedding);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const layer = {} as Record<LayerWeightName, HostTensor>;
    for (const w of LAYER_WEIGHTS) {
      const t = shaped(`blk.${l}.${LAYER_TENSOR[w]}.weight`, shapes[w]);
      layer[w] = NORMS.has(w) ? asF32(t) : t;
    }
    layers.push(layer);
  }
  const weights: ModelWeights = {
    tokenEmbedding,
    layers,
    finalNorm: asF32(shaped('output_norm.weight', shapes.finalNorm)),
    output: tied ? tokenEmbedding : shaped('output.weight', shapes.output),
  };
  const chatTemplate = chatTemplateFromGguf(m);
  return { config, weights, tokenizer, format: 'gguf', ...(chatTemplate ? { chatTemplate } : {}) };
}

/** readGguf + loadLlamaGguf. */
export function readLlamaGguf(bytes: Uint8Array): LoadedModel {
  return loadLlamaGguf(readGguf(bytes));
}

export interface WriteLlamaGgufOptions {
  /**
   * Storage type of the 2-D weight matrices (default: keep each tensor's dtype). A matrix is converted only when
   * its rows are whole blocks of the target (rows of 32 for q8_0/q4_0); others keep their dtype, e.g.
   * stories260K's w2 [64, 172] stays f32 under q8_0. Norms are always f32.
   */
  readonly dtype?: DType;
  readonly name?: string;
}

function convert(t: HostTensor, target: DType | undefined): HostTensor {
  if (target === undefined || t.dtype === target || t.shape[t.shape.length - 1] % blockInfo(target).values !== 0) return t;
  return { dtype: target, shape: t.shape, data: encode(target, decode(t.dtype, t.data, numel(t.shape))) };
}

/** A llama GGUF v3 file for `config` and `weights`, with `tokenizer` embedded when given. */
export function writeLlamaGguf(
  config: ModelConfig,
  weights: ModelWeights,
  tokenizer?: SentencePieceBpeTokenizer,
  opts: WriteLlamaGgufOptions = {},
): Uint8Array {
  if (config.ropeLayout !== 'adjacent') throw new InvalidArgumentError(`writeLlamaGguf: permute Q/K to the adjacent RoPE layout first`);
  if (config.kvSource.some((s, l) => s !== l)) throw new InvalidArgumentError('writeLlamaGguf: shared KV layers cannot be stored in llama GGUF');
  if (weights.layers.length !== config.nLayers) {
    throw new InvalidArgumentError(`writeLlamaGguf: ${weights.layers.length} layers, config says ${config.nLayers}`);
  }
  const shapes = modelShapes(config);
  const tensors: [string, HostTensor][] = [];
  const add = (name: string, t: HostTensor, shape: readonly number[], norm: boolean): void => {
    if (!sameShape(t.shape, shape)) throw new InvalidArgumentError(`writeLlamaGguf: ${name} is [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    tensors.push([name, norm ? asF32(t) : convert(t, opts.dtype)]);
  };
  add('token_embd.weight', weights.tokenEmbedding, shapes.tokenEmbedding, false);
  add('output_norm.weight', weights.finalNorm, shapes.finalNorm, true);
  if (!config.tiedEmbeddings && weights.output !== weights.tokenEmbedding) add('output.weight', weights.output, shapes.output, false);
  weights.layers.forEach((layer, l) => {
    for (const w of LAYER_WEIGHTS) add(`blk.${l}.${LAYER_TENSOR[w]}.weight`, requiredWeight(layer, w, 'writeLlamaGguf'), shapes[w], NORMS.has(w));
  });

  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const metadata: [string, GgufValue][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: opts.name ?? 'llama' }],
    ['general.file_type', u32(FILE_TYPE[opts.dtype ?? weights.tokenEmbedding.dtype] ?? 0)],
    ['llama.context_length', u32(config.contextLength)],
    ['llama.embedding_length', u32(config.dim)],
    ['llama.block_count', u32(config.nLayers)],
    ['llama.feed_forward_length', u32(config.hiddenDim)],
    ['llama.rope.dimension_count', u32(config.headDim)],
    ['llama.attention.head_count', u32(config.nHeads)],
    ['llama.attention.head_count_kv', u32(config.nKvHeads)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: config.normEps }],
    ['llama.rope.freq_base', { type: 'f32', value: config.ropeTheta }],
    ...(tokenizer
      ? tokenizerMetadata(tokenizer)
      : ([
          ['tokenizer.ggml.bos_token_id', u32(config.bosId)],
          ['tokenizer.ggml.eos_token_id', u32(config.eosId)],
        ] as [string, GgufValue][])),
  ];
  return writeGguf({ metadata, tensors });
}
