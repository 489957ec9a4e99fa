// Node entry point: a model file or folder on disk -> LoadedModel.
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MalformedFileError, ModelNotFoundError, UnsupportedModelError } from './errors.js';
import { isGguf } from './gguf/reader.js';
import { readHfModel } from './hf/model.js';
import type { LoadedModel } from './model-config.js';
import { readModel } from './read-model.js';

export interface LoadModelOptions {
  /** A llama2.c tokenizer file (tok512.bin, tokenizer.bin); default: one beside a .bin model. */
  readonly tokenizerPath?: string;
}

/** Names of llama2.c tokenizer files looked for next to a .bin checkpoint, in order. */
const TOKENIZER_NAMES = ['tok512.bin', 'tokenizer.bin'];
const HOW_TO =
  'pass --model with a .gguf file, a llama2.c .bin checkpoint, an HF folder (config.json + *.safetensors), or a folder holding one ' +
  '(e.g. --model ../shared/models/stories260K/stories260K.gguf)';

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
      throw new ModelNotFoundError(`${what} not found: ${path}; ${what === 'model' ? HOW_TO : 'pass --tokenizer with a llama2.c tokenizer.bin'}`);
    }
    // Node reads at most 2 GiB into one buffer.
    if (code === 'ERR_FS_FILE_TOO_LARGE') throw new UnsupportedModelError(`${path} is too large to load into memory (over 2 GiB)`);
    throw e;
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

async function readJson(path: string, what: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBytes(path, what));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MalformedFileError(`${path}: not JSON (${(e as Error).message})`);
  }
}

/**
 * An HF-layout folder: config.json, then model.safetensors or the shards that
 * model.safetensors.index.json names, and tokenizer.json (+ tokenizer_config.json) when present.
 */
async function loadHfFolder(dir: string): Promise<LoadedModel> {
  const config = await readJson(join(dir, 'config.json'), 'model');
  const indexPath = join(dir, 'model.safetensors.index.json');
  const shards = new Map<string, Uint8Array>();
  let index: unknown;
  if (await isFile(indexPath)) {
    index = await readJson(indexPath, 'model');
    const map = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof map !== 'object' || map === null) throw new MalformedFileError(`${indexPath}: no weight_map`);
    for (const file of new Set(Object.values(map as Record<string, unknown>))) {
      if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) throw new MalformedFileError(`${indexPath}: bad shard name ${JSON.stringify(file)}`);
      shards.set(file, await readBytes(join(dir, file), 'model'));
    }
  } else {
    shards.set('model.safetensors', await readBytes(join(dir, 'model.safetensors'), 'model'));
  }
  const tokPath = join(dir, 'tokenizer.json');
  const tokCfgPath = join(dir, 'tokenizer_config.json');
  const tokenizer = (await isFile(tokPath)) ? await readJson(tokPath, 'tokenizer') : undefined;
  const tokenizerConfig = (await isFile(tokCfgPath)) ? ((await readJson(tokCfgPath, 'tokenizer')) as object) : undefined;
  return readHfModel({ config, shards, ...(index !== undefined ? { index } : {}), ...(tokenizer !== undefined ? { tokenizer } : {}), ...(tokenizerConfig ? { tokenizerConfig } : {}) });
}

/** Loads a GGUF, llama2.c or HF-layout (safetensors) model from a file or a folder (Node only). */
export async function loadModel(path: string, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ModelNotFoundError(`model not found: ${path}; ${HOW_TO}`);
  if (info.isDirectory() && (await isFile(join(path, 'config.json')))) return loadHfFolder(path);
  if (!info.isDirectory() && path.endsWith('.safetensors') && (await isFile(join(dirname(path), 'config.json')))) return loadHfFolder(dirname(path));
  const file = info.isDirectory() ? await modelInFolder(path) : path;
  const bytes = await readBytes(file, 'model');
  let tokenizerPath = opts.tokenizerPath;
  if (tokenizerPath === undefined && !isGguf(bytes)) {
    for (const name of TOKENIZER_NAMES) {
      const candidate = join(dirname(file), name);
      if (await isFile(candidate)) {
        tokenizerPath = candidate;
        break;
      }
    }
  }
  const tokenizerBytes = tokenizerPath === undefined ? undefined : await readBytes(tokenizerPath, 'tokenizer');
  return readModel(bytes, tokenizerBytes);
}
