// A model given as named files (a folder picked in a page, or files from anywhere): its format from the names.
import { ModelNotFoundError } from '../errors.js';
import type { LoadedModel } from '../model-config.js';
import type { FetchOptions } from './fetch-bytes.js';
import { loadHfFiles } from './hf-files.js';
import { ACCEPTED, LLAMA2C_TOKENIZERS, modelFromBytes, withTokenizer } from './single-file.js';
import { baseName, readSource, tokenizerOption } from './sources.js';
import type { FileSource, LoadModelFromOptions, ModelFileSet } from './types.js';

/**
 * config.json -> an HF folder; else its one .gguf; else its one llama2.c .bin (not tok*.bin) with tok512.bin,
 * tokenizer.bin or its one other tok*.bin; a set of one file of any name is read by its bytes.
 * Names may carry folders ('gqa/config.json'): files are found by their last segment.
 */
export async function loadFileSet(set: ModelFileSet, opts: LoadModelFromOptions, io: FetchOptions): Promise<LoadedModel> {
  const files = new Map<string, FileSource>();
  for (const [key, source] of Object.entries(set.files)) {
    const name = baseName(key);
    if (files.has(name)) throw new ModelNotFoundError(`the file set has two files named ${name}; give one model's files only`);
    files.set(name, source);
  }
  const names = [...files.keys()].sort();
  const read = async (name: string): Promise<Uint8Array> => readSource(files.get(name)!, name, io);
  const one = (candidates: string[], kind: string): string | undefined => {
    if (candidates.length > 1) throw new ModelNotFoundError(`the file set holds several ${kind} models (${candidates.join(', ')}); give one`);
    return candidates[0];
  };

  if (files.has('config.json')) {
    const safetensors = names.filter((n) => n.endsWith('.safetensors'));
    // Without model.safetensors or an index, a folder's single weights file of another name is the one.
    const weights = !files.has('model.safetensors') && !files.has('model.safetensors.index.json') && safetensors.length === 1 ? safetensors[0] : undefined;
    const model = await loadHfFiles(async (name, optional) => {
      if (files.has(name)) return read(name);
      if (optional) return undefined;
      throw new ModelNotFoundError(`the file set has no ${name} (it has ${names.join(', ')}); add it`);
    }, weights);
    return withTokenizer(model, await tokenizerOption(opts, io));
  }
  const gguf = one(names.filter((n) => n.toLowerCase().endsWith('.gguf')), 'GGUF');
  if (gguf) return withTokenizer(modelFromBytes(await read(gguf), gguf), await tokenizerOption(opts, io));
  const isTokenizer = (n: string): boolean => n.startsWith('tok') && n.toLowerCase().endsWith('.bin');
  const bin = one(names.filter((n) => n.toLowerCase().endsWith('.bin') && !isTokenizer(n)), 'llama2.c');
  const single = names.length === 1 ? names[0] : undefined;
  const modelFile = bin ?? single;
  if (!modelFile) throw new ModelNotFoundError(`no model in the file set (${names.join(', ') || 'empty'}); ${ACCEPTED}`);
  const model = modelFromBytes(await read(modelFile), modelFile);
  let tokenizer = await tokenizerOption(opts, io);
  if (tokenizer === undefined && model.format === 'llama2c') {
    const others = names.filter((n) => isTokenizer(n) && !LLAMA2C_TOKENIZERS.includes(n));
    const name = LLAMA2C_TOKENIZERS.find((n) => files.has(n)) ?? (others.length === 1 ? others[0] : undefined);
    if (name) tokenizer = await read(name);
  }
  return withTokenizer(model, tokenizer);
}
