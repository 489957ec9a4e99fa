// A model from the bytes of one file, its format found from the bytes themselves.
import { MalformedFileError, ModelNotFoundError } from '../errors.js';
import { readLlamaGguf } from '../gguf/llama.js';
import { isGguf } from '../gguf/reader.js';
import { readLlama2c } from '../llama2c.js';
import type { LoadedModel } from '../model-config.js';
import { readTok512 } from '../tok512.js';

/** llama2.c tokenizer files looked for beside a .bin checkpoint, in order. */
export const LLAMA2C_TOKENIZERS: readonly string[] = ['tok512.bin', 'tokenizer.bin'];

export const ACCEPTED =
  'kvkit reads a GGUF file (.gguf), a llama2.c checkpoint (.bin, with its tokenizer.bin), or an HF folder ' +
  '(config.json + model.safetensors or its shards + tokenizer.json)';

/** An 8-byte little-endian header length that fits the file, then a JSON object. */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10 || bytes[8] !== 0x7b) return false;
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return headerLen >= 2n && headerLen <= BigInt(bytes.length - 8);
}

/**
 * GGUF by its magic, else a llama2.c v0 checkpoint (which has no magic: its header must describe the file's
 * exact size). A safetensors file alone lacks its config; anything else is MalformedFileError naming the formats.
 */
export function modelFromBytes(bytes: Uint8Array, name: string): LoadedModel {
  if (isGguf(bytes)) return readLlamaGguf(bytes);
  if (isSafetensors(bytes)) {
    throw new ModelNotFoundError(
      `${name} is a safetensors file, which needs the config.json (and tokenizer.json) of its folder: pass the folder's base URL ` +
        `ending in '/', or { files: { 'config.json': ..., '${name}': ..., 'tokenizer.json': ... } }`,
    );
  }
  try {
    return { ...readLlama2c(bytes), format: 'llama2c' };
  } catch (e) {
    if (!(e instanceof MalformedFileError)) throw e;
    throw new MalformedFileError(`${name}: not a GGUF file (no GGUF magic), not safetensors, and not a llama2.c checkpoint (${e.message}); ${ACCEPTED}`);
  }
}

/** `model` with a llama2.c tokenizer file in place of its own tokenizer, when one is given. */
export function withTokenizer(model: LoadedModel, tokenizerBytes: Uint8Array | undefined): LoadedModel {
  return tokenizerBytes ? { ...model, tokenizer: readTok512(tokenizerBytes, model.config.vocabSize) } : model;
}
