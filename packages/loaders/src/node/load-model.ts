// A model file or folder on disk -> LoadedModel (Node only).
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelNotFoundError } from '../errors.js';
import { throwIfAborted } from '../load/abort.js';
import { loadHfFiles } from '../load/hf-files.js';
import { LLAMA2C_TOKENIZERS, modelFromBytes, withTokenizer } from '../load/single-file.js';
import type { ReadOptions } from '../load/types.js';
import type { LoadedModel } from '../model-config.js';
import { readFileBytes } from './read-file.js';

export interface LoadModelOptions extends ReadOptions {
  /** A llama2.c tokenizer file (tok512.bin, tokenizer.bin); default: one beside a .bin model. */
  readonly tokenizerPath?: string;
  /** The bytes of such a tokenizer file, read already; wins over `tokenizerPath`. */
  readonly tokenizerBytes?: Uint8Array;
}

const HOW_TO =
  'pass --model with a .gguf file, a llama2.c .bin checkpoint, an HF folder (config.json + *.safetensors), or a folder holding one ' +
  '(e.g. --model ../shared/models/stories260K/stories260K.gguf)';

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function readBytes(path: string, what: 'model' | 'tokenizer', opts: ReadOptions): Promise<Uint8Array> {
  try {
    return await readFileBytes(path, opts);
  } catch (e) {
    if (!(e instanceof ModelNotFoundError)) throw e;
    throw new ModelNotFoundError(`${what} not found: ${path}; ${what === 'model' ? HOW_TO : 'pass --tokenizer with a llama2.c tokenizer.bin'}`);
  }
}

/** The model file in a folder: its one .gguf, else its one llama2.c .bin that is not a tokenizer. */
async function modelInFolder(dir: string): Promise<string> {
  const names = (await readdir(dir)).sort();
  const pick = async (candidates: string[]): Promise<string | undefined> => {
    const files: string[] = [];
    for (const n of candidates) if (await isFile(join(dir, n))) files.push(n);
    if (files.length > 1) throw new ModelNotFoundError(`${dir} holds several models (${files.join(', ')}); ${HOW_TO}`);
    return files[0] && join(dir, files[0]);
  };
  const found =
    (await pick(names.filter((n) => n.toLowerCase().endsWith('.gguf')))) ??
    // llama2.c tokenizers are .bin files too: tok512.bin, tok4096.bin, tokenizer.bin.
    (await pick(names.filter((n) => n.toLowerCase().endsWith('.bin') && !n.startsWith('tok'))));
  if (!found) throw new ModelNotFoundError(`no .gguf or llama2.c .bin model in ${dir}; ${HOW_TO}`);
  return found;
}

/**
 * An HF-layout folder: config.json, then model.safetensors or the shards that
 * model.safetensors.index.json names, and tokenizer.json (+ tokenizer_config.json) when present.
 */
function loadHfFolder(dir: string, opts: ReadOptions): Promise<LoadedModel> {
  return loadHfFiles(async (name, optional) => {
    const path = join(dir, name);
    if (optional && !(await isFile(path))) return undefined;
    return readBytes(path, name.startsWith('tok') ? 'tokenizer' : 'model', opts);
  });
}

async function loadFromDisk(path: string, opts: LoadModelOptions): Promise<LoadedModel> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ModelNotFoundError(`model not found: ${path}; ${HOW_TO}`);
  const tokenizerGiven = opts.tokenizerBytes ?? (opts.tokenizerPath === undefined ? undefined : await readBytes(opts.tokenizerPath, 'tokenizer', opts));
  if (info.isDirectory() && (await isFile(join(path, 'config.json')))) return withTokenizer(await loadHfFolder(path, opts), tokenizerGiven);
  if (!info.isDirectory() && path.endsWith('.safetensors') && (await isFile(join(dirname(path), 'config.json')))) {
    return withTokenizer(await loadHfFolder(dirname(path), opts), tokenizerGiven);
  }
  const file = info.isDirectory() ? await modelInFolder(path) : path;
  const model = modelFromBytes(await readBytes(file, 'model', opts), basename(file));
  let tokenizer = tokenizerGiven;
  if (tokenizer === undefined && model.format !== 'gguf') {
    for (const name of LLAMA2C_TOKENIZERS) {
      const candidate = join(dirname(file), name);
      if (await isFile(candidate)) {
        tokenizer = await readBytes(candidate, 'tokenizer', opts);
        break;
      }
    }
  }
  return withTokenizer(model, tokenizer);
}

/**
 * Loads a GGUF, llama2.c or HF-layout (safetensors) model from a file or a folder (a path or a `file:` URL),
 * reporting progress per file read and stopping with LoadAbortedError when `signal` aborts.
 */
export async function loadModel(path: string | URL, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const p = typeof path === 'string' ? path : fileURLToPath(path);
  throwIfAborted(opts.signal, p);
  const model = await loadFromDisk(p, opts);
  throwIfAborted(opts.signal, p);
  return model;
}
