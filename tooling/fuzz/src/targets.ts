// The fuzz targets of kvkit's readers, one per file format, over real seed files. The readers come in as
// `api` (the @kvkit/loaders module, or its sources in a test), so this package does not depend on them.
import type { FuzzTarget } from './campaign.js';
import type { Layout } from './layout.js';
import { ggufLayout, llama2cLayout, safetensorsLayout, tok512Layout } from './layout.js';
import { mutateBytes } from './mutate-bytes.js';
import { mutateJson, mutateSafetensorsHeader } from './mutate-json.js';
import type { Prng } from './prng.js';

interface LoadedLike {
  readonly config: any;
  readonly weights: any;
  readonly tokenizer?: any;
}

/** The part of @kvkit/loaders the targets call (the module itself satisfies it). */
export interface LoaderApi {
  readLlamaGguf(bytes: Uint8Array): LoadedLike;
  readGguf(bytes: Uint8Array): { metadata: ReadonlyMap<string, any>; tensors: ReadonlyMap<string, any> };
  writeGguf(input: { metadata: Iterable<readonly [string, any]>; tensors: Iterable<readonly [string, any]> }): Uint8Array;
  writeLlamaGguf(config: any, weights: any, tokenizer?: any, opts?: { dtype?: any }): Uint8Array;
  readLlama2c(bytes: Uint8Array): unknown;
  writeLlama2c(config: any, weights: any): Uint8Array;
  readTok512(bytes: Uint8Array, vocabSize: number): unknown;
  loadModelFrom(source: { files: Record<string, Uint8Array> }): Promise<unknown>;
}

/** The real files the campaigns start from. */
export interface SeedFiles {
  /** stories260K.gguf, stories260K.bin and tok512.bin. */
  readonly storiesGguf: Uint8Array;
  readonly storiesBin: Uint8Array;
  readonly tok512: Uint8Array;
  /** packages/models/gqa: config.json, model.safetensors, tokenizer.json. */
  readonly hfConfig: Uint8Array;
  readonly hfSafetensors: Uint8Array;
  readonly hfTokenizer: Uint8Array;
}

export const FUZZ_FORMATS = ['gguf', 'llama2c', 'safetensors', 'tokenizer-json', 'tok512'] as const;
export type FuzzFormat = (typeof FUZZ_FORMATS)[number];

const CHAT_TEMPLATE =
  "{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] + eos_token }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

/**
 * A small llama GGUF written by kvkit itself: stories260K's weights with odd layers in Q4_0 and the rest in
 * Q8_0 (w2's rows of 172 stay f32), its tokenizer, and a chat template.
 */
export function writtenGguf(api: LoaderApi, storiesGguf: Uint8Array): Uint8Array {
  const model = api.readLlamaGguf(storiesGguf);
  const q8 = api.readGguf(api.writeLlamaGguf(model.config, model.weights, model.tokenizer, { dtype: 'q8_0' }));
  const q4 = api.readGguf(api.writeLlamaGguf(model.config, model.weights, model.tokenizer, { dtype: 'q4_0' }));
  const tensors = [...q8.tensors].map(([name, t]) => {
    const odd = /^blk\.(\d+)\./.exec(name);
    const pick = odd && Number(odd[1]) % 2 === 1 ? q4.tensors.get(name) : t;
    return [name, { dtype: pick.dtype, shape: pick.shape, data: pick.data }] as const;
  });
  const metadata = [...q8.metadata, ['tokenizer.chat_template', { type: 'string', value: CHAT_TEMPLATE }] as const];
  return api.writeGguf({ metadata, tensors });
}

/** stories260K.bin with a separate classifier (llama2.c's negative vocab_size). */
export function untiedLlama2c(api: LoaderApi, storiesGguf: Uint8Array): Uint8Array {
  const model = api.readLlamaGguf(storiesGguf);
  const f32 = api.readLlamaGguf(api.writeLlamaGguf(model.config, model.weights, undefined, { dtype: 'f32' }));
  return api.writeLlama2c({ ...f32.config, tiedEmbeddings: false }, { ...f32.weights, output: f32.weights.tokenEmbedding });
}

function bytesTarget(format: FuzzFormat, seeds: { name: string; input: Uint8Array }[], layoutOf: (b: Uint8Array) => Layout, parse: (b: Uint8Array) => unknown): FuzzTarget<Uint8Array> {
  return { format, seeds, mutate: (b, rng) => mutateBytes(b, layoutOf, rng), parse, size: (b) => b.length };
}

type Files = Record<string, Uint8Array>;

function filesTarget(format: FuzzFormat, seed: Files, mutate: (files: Files, rng: Prng) => Files, api: LoaderApi): FuzzTarget<Files> {
  return {
    format,
    seeds: [{ name: Object.keys(seed).join('+'), input: seed }],
    mutate,
    parse: (files) => api.loadModelFrom({ files }),
    size: (files) => Object.values(files).reduce((a, b) => a + b.length, 0),
  };
}

/** Every format's target over `files` (the readers from `api`). */
export function fuzzTargets(api: LoaderApi, files: SeedFiles): { [F in FuzzFormat]: FuzzTarget<Uint8Array> | FuzzTarget<Files> } {
  const hf: Files = { 'config.json': files.hfConfig, 'model.safetensors': files.hfSafetensors };
  const config = JSON.parse(new TextDecoder().decode(files.hfConfig)) as unknown;
  const tokenizer = JSON.parse(new TextDecoder().decode(files.hfTokenizer)) as unknown;
  return {
    gguf: bytesTarget('gguf', [{ name: 'stories260K.gguf', input: files.storiesGguf }, { name: 'written-q8_0-q4_0-chat.gguf', input: writtenGguf(api, files.storiesGguf) }], ggufLayout, (b) => api.readLlamaGguf(b)),
    llama2c: bytesTarget('llama2c', [{ name: 'stories260K.bin', input: files.storiesBin }, { name: 'untied.bin', input: untiedLlama2c(api, files.storiesGguf) }], llama2cLayout, (b) => api.readLlama2c(b)),
    tok512: bytesTarget('tok512', [{ name: 'tok512.bin', input: files.tok512 }], tok512Layout, (b) => api.readTok512(b, 512)),
    safetensors: filesTarget('safetensors', hf, (f, rng) => {
      if (rng.chance(0.3)) return { ...f, 'config.json': mutateJson(f['config.json']!, rng, config) };
      const st = f['model.safetensors']!;
      return { ...f, 'model.safetensors': rng.chance(0.5) ? mutateSafetensorsHeader(st, rng) : mutateBytes(st, safetensorsLayout, rng) };
    }, api),
    'tokenizer-json': filesTarget('tokenizer-json', { ...hf, 'tokenizer.json': files.hfTokenizer }, (f, rng) => ({
      ...f,
      'tokenizer.json': rng.chance(0.85) ? mutateJson(f['tokenizer.json']!, rng, tokenizer) : mutateBytes(f['tokenizer.json']!, () => ({ fields: [], boundaries: [], records: [] }), rng),
    }), api),
  };
}
