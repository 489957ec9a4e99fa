// The seven shipped models. Every URL is a literal `new URL('../<variant>/<file>', import.meta.url)` so
// that bundlers (Vite, Rollup, webpack 5) see it and emit the file as an asset of the page; the folders
// sit beside src/ and dist/, so the same relative URL works from either.

/** The files of one shipped model, by name: an HF-layout folder. */
export type ShippedModelFiles = {
  readonly 'config.json': URL;
  readonly 'model.safetensors': URL;
  readonly 'tokenizer.json': URL;
};

/**
 * One shipped model. `{ files }` is the named-file set that `loadModelFrom` in `@kvkit/loaders` reads,
 * so the record itself can be passed to it.
 */
export interface ShippedModel<Name extends string = string> {
  readonly name: Name;
  /** What the model is, in one line. */
  readonly description: string;
  /** Which layers and heads share K/V. */
  readonly kvSharing: string;
  readonly files: ShippedModelFiles;
}

const TRAINED = 'A 1.6-1.8M-parameter Llama (d 128, 8 layers, 4 query heads, context 2048) trained on TinyStories to retrieve facts';

/** The name of a shipped model. */
export type ShippedModelName = 'mha' | 'gqa' | 'mqa' | 'mlkv4' | 'mlkv2' | 'cla2' | 'yoco';

/** Every shipped model by name, in the order of the README's table. */
export const SHIPPED_MODELS: { readonly [N in ShippedModelName]: ShippedModel<N> } = Object.freeze({
  mha: {
    name: 'mha',
    description: `${TRAINED}; multi-head attention.`,
    kvSharing: '4 KV heads, every layer',
    files: {
      'config.json': new URL('../mha/config.json', import.meta.url),
      'model.safetensors': new URL('../mha/model.safetensors', import.meta.url),
      'tokenizer.json': new URL('../mha/tokenizer.json', import.meta.url),
    },
  },
  gqa: {
    name: 'gqa',
    description: `${TRAINED}; grouped-query attention. The default model.`,
    kvSharing: '2 KV heads, every layer',
    files: {
      'config.json': new URL('../gqa/config.json', import.meta.url),
      'model.safetensors': new URL('../gqa/model.safetensors', import.meta.url),
      'tokenizer.json': new URL('../gqa/tokenizer.json', import.meta.url),
    },
  },
  mqa: {
    name: 'mqa',
    description: `${TRAINED}; multi-query attention.`,
    kvSharing: '1 KV head, every layer',
    files: {
      'config.json': new URL('../mqa/config.json', import.meta.url),
      'model.safetensors': new URL('../mqa/model.safetensors', import.meta.url),
      'tokenizer.json': new URL('../mqa/tokenizer.json', import.meta.url),
    },
  },
  mlkv4: {
    name: 'mlkv4',
    description: `${TRAINED}; multi-layer KV sharing (MLKV), 4 K/V layers.`,
    kvSharing: '1 KV head; layers 0/2/4/6 own K/V (kv_source 0,0,2,2,4,4,6,6)',
    files: {
      'config.json': new URL('../mlkv4/config.json', import.meta.url),
      'model.safetensors': new URL('../mlkv4/model.safetensors', import.meta.url),
      'tokenizer.json': new URL('../mlkv4/tokenizer.json', import.meta.url),
    },
  },
  mlkv2: {
    name: 'mlkv2',
    description: `${TRAINED}; multi-layer KV sharing (MLKV), 2 K/V layers.`,
    kvSharing: '1 KV head; layers 0/4 own K/V (kv_source 0,0,0,0,4,4,4,4)',
    files: {
      'config.json': new URL('../mlkv2/config.json', import.meta.url),
      'model.safetensors': new URL('../mlkv2/model.safetensors', import.meta.url),
      'tokenizer.json': new URL('../mlkv2/tokenizer.json', import.meta.url),
    },
  },
  cla2: {
    name: 'cla2',
    description: `${TRAINED}; cross-layer attention (CLA), sharing factor 2.`,
    kvSharing: '2 KV heads; layers 2k+1 reuse layer 2k (kv_source 0,0,2,2,4,4,6,6)',
    files: {
      'config.json': new URL('../cla2/config.json', import.meta.url),
      'model.safetensors': new URL('../cla2/model.safetensors', import.meta.url),
      'tokenizer.json': new URL('../cla2/tokenizer.json', import.meta.url),
    },
  },
  yoco: {
    name: 'yoco',
    description: `${TRAINED}; You Only Cache Once (YOCO).`,
    kvSharing: '2 KV heads; layers 0-3 sliding window of 64, layer 4 projects the one global K/V that layers 4-7 read',
    files: {
      'config.json': new URL('../yoco/config.json', import.meta.url),
      'model.safetensors': new URL('../yoco/model.safetensors', import.meta.url),
      'tokenizer.json': new URL('../yoco/tokenizer.json', import.meta.url),
    },
  },
});

/** The model used when none is named: `gqa`. */
export const defaultModel: ShippedModel<'gqa'> = SHIPPED_MODELS.gqa;
