// The real files the loader fuzzer starts from: stories260K (GGUF, llama2.c .bin, tok512.bin) and the shipped
// gqa model of @kvkit/models (config.json, model.safetensors, tokenizer.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, sharedFixture } from '@kvkit/fixtures';
import type { SeedFiles } from '@kvkit/fuzz';

const read = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

export function fuzzSeedFiles(): SeedFiles {
  const gqa = join(REPO_ROOT, 'packages/models/gqa');
  return {
    storiesGguf: read(sharedFixture('models/stories260K/stories260K.gguf')),
    storiesBin: read(sharedFixture('models/stories260K/stories260K.bin')),
    tok512: read(sharedFixture('models/stories260K/tok512.bin')),
    hfConfig: read(join(gqa, 'config.json')),
    hfSafetensors: read(join(gqa, 'model.safetensors')),
    hfTokenizer: read(join(gqa, 'tokenizer.json')),
  };
}
