import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LoadedModel, Tokenizer } from '@kvkit/loaders';
import { loadModel, ModelNotFoundError } from '@kvkit/loaders';
import { UsageError } from './args.js';

/** The default model until the project ships its own: the shared stories260K GGUF beside the repo. */
export const DEFAULT_MODEL = fileURLToPath(new URL('../../../../shared/models/stories260K/stories260K.gguf', import.meta.url));

export async function openModel(model: string | undefined, tokenizer: string | undefined): Promise<LoadedModel & { tokenizer: Tokenizer }> {
  const path = model ?? DEFAULT_MODEL;
  if (model === undefined && !existsSync(path)) {
    throw new ModelNotFoundError(`default model ${path} not found; pass one with --model <file.gguf|file.bin|dir>`);
  }
  const loaded = await loadModel(path, tokenizer ? { tokenizerPath: tokenizer } : {});
  if (!loaded.tokenizer) throw new UsageError(`no tokenizer found for ${path}; pass one with --tokenizer <tok512.bin>`);
  return loaded as LoadedModel & { tokenizer: Tokenizer };
}
