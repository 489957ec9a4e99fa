// One entry point for every place a model can come from: a URL, a path (Node), a File/Blob, bytes, or a set of files.
import type { LoadedModel } from '../model-config.js';
import { throwIfAborted } from './abort.js';
import type { FetchOptions } from './fetch-bytes.js';
import { fetchBytes } from './fetch-bytes.js';
import { loadFileSet } from './file-set.js';
import { loadHfFiles } from './hf-files.js';
import type { CacheLike } from './model-cache.js';
import { openModelCache } from './model-cache.js';
import { nodeEntry } from './node-entry.js';
import { LLAMA2C_TOKENIZERS, modelFromBytes, withTokenizer } from './single-file.js';
import { isFileSet, locate, nameOf, readSource, tokenizerOption } from './sources.js';
import type { FileSource, LoadModelFromOptions, ModelSource } from './types.js';

function extension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

/** A URL: a folder (trailing '/'), a .safetensors file of a folder, or one model file (.gguf, .bin, anything). */
async function loadUrl(url: URL, opts: LoadModelFromOptions, io: FetchOptions): Promise<LoadedModel> {
  const file = nameOf(url);
  const ext = url.protocol === 'data:' || url.protocol === 'blob:' ? '' : extension(file);
  if (url.pathname.endsWith('/') || ext === '.safetensors') {
    const weights = ext === '.safetensors' ? file : undefined;
    const base = new URL('./', url);
    const model = await loadHfFiles((name, optional) => fetchBytes(name === weights ? url : new URL(encodeURIComponent(name), base), name, io, optional), weights);
    return withTokenizer(model, await tokenizerOption(opts, io));
  }
  const model = modelFromBytes((await fetchBytes(url, file, io))!, file);
  let tokenizer = await tokenizerOption(opts, io);
  if (tokenizer === undefined && model.format === 'llama2c') {
    for (const name of LLAMA2C_TOKENIZERS) {
      tokenizer = await fetchBytes(new URL(name, url), name, io, true);
      if (tokenizer) break;
    }
  }
  return withTokenizer(model, tokenizer);
}

async function load(source: ModelSource, opts: LoadModelFromOptions, io: FetchOptions): Promise<LoadedModel> {
  if (isFileSet(source)) return loadFileSet(source, opts, io);
  if (typeof source === 'string' || source instanceof URL) {
    const loc = locate(source);
    if (loc.kind === 'url') return loadUrl(loc.url, opts, io);
    const tok = opts.tokenizer === undefined ? undefined : locateTokenizerPath(opts.tokenizer);
    return (await nodeEntry()).loadModel(loc.path, {
      onProgress: io.onProgress,
      signal: io.signal,
      ...(tok !== undefined ? { tokenizerPath: tok } : opts.tokenizer !== undefined ? { tokenizerBytes: (await tokenizerOption(opts, io))! } : {}),
    });
  }
  const name = nameOf(source);
  return withTokenizer(modelFromBytes(await readSource(source, name, io), name), await tokenizerOption(opts, io));
}

/** A tokenizer given as a path (Node), which loadModel reads itself; undefined for any other source. */
function locateTokenizerPath(source: FileSource): string | undefined {
  if (typeof source !== 'string' && !(source instanceof URL)) return undefined;
  const loc = locate(source);
  if (loc.kind !== 'path') return undefined;
  return typeof loc.path === 'string' ? loc.path : undefined;
}

/**
 * Loads a model from a URL (fetched with progress; a URL ending in '/' is an HF folder), a path or `file:` URL
 * (Node), a File/Blob, bytes, or a set of named files. Every failure is a typed KvkitError and nothing is kept
 * of a failed load.
 */
export async function loadModelFrom(source: ModelSource, opts: LoadModelFromOptions = {}): Promise<LoadedModel> {
  const what = isFileSet(source) ? 'the model files' : nameOf(source);
  throwIfAborted(opts.signal, what);
  let cache: Promise<CacheLike | undefined> | undefined;
  const io: FetchOptions = {
    onProgress: opts.onProgress,
    signal: opts.signal,
    cache: () => (cache ??= openModelCache(opts.cache)),
  };
  const model = await load(source, opts, io);
  throwIfAborted(opts.signal, what);
  return model;
}
