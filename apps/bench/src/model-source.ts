import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadedModel, Tokenizer } from '@kvkit/loaders';
import { ModelNotFoundError } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import { UsageError } from 'kvkit/commands';

/** The project's own models, one folder per KV-sharing variant (trained by tooling/train). */
export const MODELS_DIR = fileURLToPath(new URL('../../../packages/models/', import.meta.url));
/** The project's own default model: the GQA variant (models/gqa). */
export const DEFAULT_MODEL = `${MODELS_DIR}gqa`;

/** The model of `--model`, or `fallback` when none was given. */
export async function openModel(model: string | undefined, tokenizer: string | undefined, fallback = DEFAULT_MODEL): Promise<LoadedModel & { tokenizer: Tokenizer }> {
  const path = model ?? fallback;
  if (model === undefined && !existsSync(path)) {
    throw new ModelNotFoundError(`default model ${path} not found; pass one with --model <file.gguf|file.bin|dir>`);
  }
  const loaded = await loadModel(path, tokenizer ? { tokenizerPath: tokenizer } : {});
  if (!loaded.tokenizer) throw new UsageError(`no tokenizer found for ${path}; pass one with --tokenizer <tok512.bin>`);
  return loaded as LoadedModel & { tokenizer: Tokenizer };
}
