import { readLlamaGguf } from './gguf/llama.js';
import { isGguf } from './gguf/reader.js';
import { readLlama2c } from './llama2c.js';
import type { LoadedModel } from './model-config.js';
import { readTok512 } from './tok512.js';

/**
 * A model from bytes in memory: GGUF when it starts with the GGUF magic, else a llama2.c v0 checkpoint.
 * `tokenizerBytes` (a llama2.c tokenizer.bin) is required for a tokenizer with llama2.c files and replaces the
 * embedded one of a GGUF file.
 */
export function readModel(bytes: Uint8Array, tokenizerBytes?: Uint8Array): LoadedModel {
  const model: LoadedModel = isGguf(bytes) ? readLlamaGguf(bytes) : { ...readLlama2c(bytes), format: 'llama2c' };
  if (!tokenizerBytes) return model;
  return { ...model, tokenizer: readTok512(tokenizerBytes, model.config.vocabSize) };
}
