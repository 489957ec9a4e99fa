// The shape of a shipped model. Each model's record lives in its own module (src/models/<name>.ts), so a
// page that imports only `defaultModel` bundles only that model's files: every URL there is a literal
// `new URL('../../<name>/<file>', import.meta.url)`, which Vite, Rollup and webpack 5 emit as an asset.

/** The name of a shipped model. */
export type ShippedModelName = 'mha' | 'gqa' | 'mqa' | 'mlkv4' | 'mlkv2' | 'cla2' | 'yoco';

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
export interface ShippedModel<Name extends ShippedModelName = ShippedModelName> {
  readonly name: Name;
  /** What the model is, in one line. */
  readonly description: string;
  /** Which layers and heads share K/V. */
  readonly kvSharing: string;
  readonly files: ShippedModelFiles;
}
