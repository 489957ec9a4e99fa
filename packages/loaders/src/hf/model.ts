// An HF-layout model folder in memory: config.json, safetensors shards, tokenizer.json.
import type { HostTensor } from '@kvkit/tensor';
import { chatTemplateFromHf } from '../chat-template.js';
import { MalformedFileError } from '../errors.js';
import type { LoadedModel } from '../model-config.js';
import { readSafetensors } from '../safetensors.js';
import { configFromHf } from './config.js';
import { HfTokenizer } from './tokenizer.js';
import { weightsFromHf } from './weights.js';

export interface HfModelFiles {
  /** Parsed config.json. */
  readonly config: unknown;
  /** Every safetensors shard by file name (one for `model.safetensors`). */
  readonly shards: ReadonlyMap<string, Uint8Array>;
  /** Parsed `model.safetensors.index.json` of a sharded model. */
  readonly index?: unknown;
  /** Parsed tokenizer.json (and tokenizer_config.json). */
  readonly tokenizer?: unknown;
  readonly tokenizerConfig?: object;
  /** Text of `chat_template.jinja`, which replaces tokenizer_config.json's `chat_template`. */
  readonly chatTemplate?: string;
}

/** Every tensor of every shard; with an index, each tensor must be in the shard its weight_map names. */
function allTensors(files: HfModelFiles): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  const map = files.index === undefined ? undefined : (files.index as { weight_map?: unknown }).weight_map;
  if (files.index !== undefined && (typeof map !== 'object' || map === null)) throw new MalformedFileError('model.safetensors.index.json: no weight_map');
  for (const [file, bytes] of files.shards) {
    for (const [name, t] of readSafetensors(bytes, file).tensors) {
      if (out.has(name)) throw new MalformedFileError(`${file}: tensor '${name}' is in more than one shard`);
      if (map && (map as Record<string, unknown>)[name] !== file) throw new MalformedFileError(`${file}: tensor '${name}' is not where the index puts it`);
      out.set(name, t);
    }
  }
  if (map) {
    for (const [name, file] of Object.entries(map)) {
      if (!out.has(name)) throw new MalformedFileError(`model.safetensors.index.json: '${name}' should be in ${String(file)}, which lacks it`);
    }
  }
  return out;
}

export function readHfModel(files: HfModelFiles): LoadedModel {
  const config = configFromHf(files.config);
  const weights = weightsFromHf(config, allTensors(files));
  const tokenizer = files.tokenizer === undefined ? undefined : new HfTokenizer(files.tokenizer, { bosId: config.bosId, eosId: config.eosId, ...(files.tokenizerConfig ? { tokenizerConfig: files.tokenizerConfig } : {}) });
  if (tokenizer && tokenizer.vocabSize > config.vocabSize) throw new MalformedFileError(`tokenizer.json: ${tokenizer.vocabSize} tokens but only ${config.vocabSize} embedding rows`);
  const chatTemplate = chatTemplateFromHf(files.tokenizerConfig, files.chatTemplate);
  return { config, weights, ...(tokenizer ? { tokenizer } : {}), format: 'hf', ...(chatTemplate ? { chatTemplate } : {}) };
}
