import { copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentencePieceBpeTokenizer } from '../src/index.js';
import { MalformedFileError, ModelNotFoundError, readModel } from '../src/index.js';
import { loadModel } from '../src/node/index.js';
import { STORIES_DIR, shared } from './shared.js';

describe('loadModel', () => {
  let tmp = '';
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'kvkit-loaders-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('loads a .bin with the tok512.bin beside it', async () => {
    const m = await loadModel(join(STORIES_DIR, 'stories260K.bin'));
    expect(m.format).toBe('llama2c');
    expect(m.config.contextLength).toBe(512);
    expect(m.tokenizer!.encode('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
  });

  it('loads a .gguf by its magic, with the embedded tokenizer', async () => {
    const m = await loadModel(join(STORIES_DIR, 'stories260K.gguf'));
    expect(m.format).toBe('gguf');
    expect(m.tokenizer!.encode('Once upon a time')).toEqual([1, 403, 407, 261, 378]);
  });

  it('prefers the .gguf in a folder', async () => {
    expect((await loadModel(STORIES_DIR)).format).toBe('gguf');
  });

  it('finds a .bin and its tokenizer.bin in a folder, or no tokenizer at all', async () => {
    const dir = join(tmp, 'bin');
    await mkdir(dir);
    await copyFile(join(STORIES_DIR, 'stories260K.bin'), join(dir, 'model.bin'));
    expect((await loadModel(dir)).tokenizer).toBeUndefined();
    await copyFile(join(STORIES_DIR, 'tok512.bin'), join(dir, 'tokenizer.bin'));
    const m = await loadModel(dir);
    expect(m.format).toBe('llama2c');
    expect(m.tokenizer!.vocabSize).toBe(512);
  });

  it('uses an explicit tokenizerPath, also over a GGUF vocabulary', async () => {
    const m = await loadModel(join(STORIES_DIR, 'stories260K.gguf'), { tokenizerPath: join(STORIES_DIR, 'tok512.bin') });
    expect((m.tokenizer as SentencePieceBpeTokenizer).pieces[1]).toBe('\n<s>\n'); // tok512's BOS piece, not GGUF's '<s>'
    await expect(loadModel(join(STORIES_DIR, 'stories260K.bin'), { tokenizerPath: join(tmp, 'nope.bin') })).rejects.toBeInstanceOf(
      ModelNotFoundError,
    );
  });

  it('says how to pass --model when nothing is found', async () => {
    const missing = loadModel(join(tmp, 'does-not-exist.gguf'));
    await expect(missing).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(missing).rejects.toThrow(/--model/);
    const empty = join(tmp, 'empty');
    await mkdir(empty);
    await expect(loadModel(empty)).rejects.toThrow(/--model/);
  });

  it('reports two models in one folder as ambiguous', async () => {
    const dir = join(tmp, 'two');
    await mkdir(dir);
    await writeFile(join(dir, 'a.gguf'), shared('stories260K.gguf'));
    await writeFile(join(dir, 'b.gguf'), shared('stories260K.gguf'));
    await expect(loadModel(dir)).rejects.toThrow(/several models/);
  });

  it('rejects a file that is neither format', async () => {
    const junk = join(tmp, 'junk.bin');
    await writeFile(junk, new TextEncoder().encode('hello, not a model'));
    await expect(loadModel(junk)).rejects.toBeInstanceOf(MalformedFileError);
  });
});

describe('readModel', () => {
  it('reads either format from memory', () => {
    expect(readModel(shared('stories260K.gguf')).format).toBe('gguf');
    const m = readModel(shared('stories260K.bin'), shared('tok512.bin'));
    expect(m.format).toBe('llama2c');
    expect(m.tokenizer!.decode(m.tokenizer!.encode('The cat sat.'))).toBe('The cat sat.');
  });
});
