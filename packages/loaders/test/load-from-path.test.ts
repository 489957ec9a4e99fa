import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../src/index.js';
import { LoadAbortedError, ModelNotFoundError, loadModelFrom } from '../src/index.js';
import { loadModel, readFileBytes } from '../src/node/index.js';
import { GQA_DIR } from './http-server.js';
import { expectSameModel, expectViewsOfOneBuffer } from './same-model.js';
import { STORIES_DIR, firstDiff, shared } from './shared.js';

describe('loadModelFrom(path) in Node', () => {
  it('reads paths and file: URLs through @kvkit/loaders/node, with progress', async () => {
    const events: LoadProgress[] = [];
    const path = `${STORIES_DIR}stories260K.gguf`;
    const m = await loadModelFrom(path, { onProgress: (p) => events.push(p) });
    expectSameModel(m, await loadModel(path));
    expectViewsOfOneBuffer(m);
    expect(events[0]).toEqual({ loaded: 0, total: shared('stories260K.gguf').length, file: 'stories260K.gguf' });
    expect(events.at(-1)).toEqual({ loaded: shared('stories260K.gguf').length, total: shared('stories260K.gguf').length, file: 'stories260K.gguf' });
    expectSameModel(await loadModelFrom(pathToFileURL(path)), m);
    expectSameModel(await loadModelFrom(pathToFileURL(path).href), m);
    expectSameModel(await loadModelFrom(GQA_DIR), await loadModel(GQA_DIR));
  });

  it('takes a tokenizer from any source for a .bin on disk, and paths inside a file set', async () => {
    const disk = await loadModel(`${STORIES_DIR}stories260K.bin`);
    expectSameModel(await loadModelFrom(`${STORIES_DIR}stories260K.bin`, { tokenizer: new Blob([shared('tok512.bin')]) }), disk);
    expectSameModel(await loadModelFrom(`${STORIES_DIR}stories260K.bin`, { tokenizer: `${STORIES_DIR}tok512.bin` }), disk);
    const set = { files: { 'stories260K.bin': `${STORIES_DIR}stories260K.bin`, 'tok512.bin': pathToFileURL(`${STORIES_DIR}tok512.bin`) } };
    expectSameModel(await loadModelFrom(set), disk);
  });

  it('reads a file whole with readFileBytes; a missing one is ModelNotFoundError', async () => {
    expect(firstDiff(await readFileBytes(`${STORIES_DIR}tok512.bin`), shared('tok512.bin'))).toBe(-1);
    await expect(readFileBytes(`${STORIES_DIR}nope.bin`)).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(loadModelFrom(`${STORIES_DIR}nope.gguf`)).rejects.toBeInstanceOf(ModelNotFoundError);
  });

  it('stops with LoadAbortedError when the signal aborts', async () => {
    const ctrl = new AbortController();
    const load = loadModelFrom(GQA_DIR, { signal: ctrl.signal, onProgress: (p) => p.file === 'model.safetensors' && p.loaded === 0 && ctrl.abort() });
    await expect(load).rejects.toBeInstanceOf(LoadAbortedError);
  });
});
