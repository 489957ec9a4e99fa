// An HF-layout model read file by file from anywhere (a folder, a base URL, a set of Files).
import { MalformedFileError } from '../errors.js';
import { readHfModel } from '../hf/model.js';
import type { LoadedModel } from '../model-config.js';
import { showJson } from '../show-json.js';

/** The bytes of `name` in the folder; undefined only when `optional` and the file is not there. */
export type ReadFolderFile = (name: string, optional: boolean) => Promise<Uint8Array | undefined>;

const INDEX = 'model.safetensors.index.json';

function text(bytes: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new MalformedFileError(`${name}: not UTF-8 text`);
  }
}

function json(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(text(bytes, name));
  } catch (e) {
    if (e instanceof MalformedFileError) throw e;
    throw new MalformedFileError(`${name}: not JSON (${(e as Error).message})`);
  }
}

function jsonObject(bytes: Uint8Array, name: string): object {
  const v = json(bytes, name);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedFileError(`${name}: not a JSON object`);
  return v;
}

/** Shard file names of an index, each a plain name in the same folder. */
function shardNames(index: unknown): string[] {
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null) throw new MalformedFileError(`${INDEX}: no weight_map`);
  const names = new Set<string>();
  for (const file of Object.values(map as Record<string, unknown>)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) throw new MalformedFileError(`${INDEX}: bad shard name ${showJson(file)}`);
    names.add(file);
  }
  return [...names];
}

/**
 * config.json, then `weights` (default: model.safetensors, or the shards that model.safetensors.index.json
 * names), then tokenizer.json, tokenizer_config.json and chat_template.jinja when present.
 */
export async function loadHfFiles(read: ReadFolderFile, weights?: string): Promise<LoadedModel> {
  const config = json((await read('config.json', false))!, 'config.json');
  const shards = new Map<string, Uint8Array>();
  const indexBytes = weights === undefined ? await read(INDEX, true) : undefined;
  const index = indexBytes && json(indexBytes, INDEX);
  for (const name of index === undefined ? [weights ?? 'model.safetensors'] : shardNames(index)) shards.set(name, (await read(name, false))!);
  const tokenizer = await read('tokenizer.json', true);
  const tokenizerConfig = await read('tokenizer_config.json', true);
  const template = await read('chat_template.jinja', true);
  return readHfModel({
    config,
    shards,
    ...(index !== undefined ? { index } : {}),
    ...(tokenizer ? { tokenizer: json(tokenizer, 'tokenizer.json') } : {}),
    ...(tokenizerConfig ? { tokenizerConfig: jsonObject(tokenizerConfig, 'tokenizer_config.json') } : {}),
    ...(template ? { chatTemplate: text(template, 'chat_template.jinja') } : {}),
  });
}
