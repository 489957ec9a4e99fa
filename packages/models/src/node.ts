// Node-only: where a shipped model's folder is on disk, for loaders and tools that take a directory.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shippedModel } from './find-model.js';

export * from './index.js';

/** The folder of the shipped model `name` (its config.json, model.safetensors and tokenizer.json). */
export function modelDir(name: string): string {
  return dirname(fileURLToPath(shippedModel(name).files['config.json']));
}
