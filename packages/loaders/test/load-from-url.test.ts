import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadProgress } from '../src/index.js';
import { LoadAbortedError, ModelFetchError, TruncatedDownloadError, loadModelFrom, readSafetensors, writeSafetensors } from '../src/index.js';
import { loadModel } from '../src/node/index.js';
import type { Route, TestServer } from './http-server.js';
import { GQA_DIR, folderRoutes, serve } from './http-server.js';
import { expectSameModel, expectViewsOfOneBuffer } from './same-model.js';
import { STORIES_DIR, shared } from './shared.js';

const GQA_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

/** The progress events of one file are monotone and end at its size. */
function expectProgress(events: readonly LoadProgress[], file: string, size: number, known = true): void {
  const mine = events.filter((e) => e.file === file);
  expect(mine.length, `events of ${file}`).toBeGreaterThan(1);
  for (let i = 1; i < mine.length; i++) expect(mine[i]!.loaded).toBeGreaterThanOrEqual(mine[i - 1]!.loaded);
  expect(mine[0]!.loaded).toBe(0);
  expect(mine.at(-1)).toEqual({ loaded: size, total: known ? size : undefined, file });
  if (known) expect(mine.every((e) => e.total === size)).toBe(true);
}

describe('loadModelFrom(url)', () => {
  let server: TestServer;
  const gguf = shared('stories260K.gguf');
  beforeAll(async () => {
    const gqa = new Map(folderRoutes('gqa', GQA_DIR, GQA_FILES));
    const st = readSafetensors((gqa.get('/gqa/model.safetensors') as { bytes: Uint8Array }).bytes).tensors;
    const late = (n: string): boolean => /layers\.[4-9]\./.test(n);
    const shard = (keep: (n: string) => boolean): Route => ({ kind: 'file', bytes: writeSafetensors(new Map([...st].filter(([n]) => keep(n)))) });
    const index = { weight_map: Object.fromEntries([...st.keys()].map((n) => [n, late(n) ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors'])) };
    const routes = new Map<string, Route>([
      ...folderRoutes('stories', STORIES_DIR, ['stories260K.gguf', 'stories260K.bin', 'tok512.bin']),
      ...gqa,
      ['/sharded/config.json', gqa.get('/gqa/config.json')!],
      ['/sharded/tokenizer.json', gqa.get('/gqa/tokenizer.json')!],
      ['/sharded/model.safetensors.index.json', { kind: 'file', bytes: new TextEncoder().encode(JSON.stringify(index)) }],
      ['/sharded/model-00001-of-00002.safetensors', shard((n) => !late(n))],
      ['/sharded/model-00002-of-00002.safetensors', shard(late)],
      ['/chunked/stories260K.gguf', { kind: 'chunked', bytes: gguf }],
      ['/truncated/stories260K.gguf', { kind: 'truncated', bytes: gguf, sent: 300_000 }],
      ['/stall/stories260K.gguf', { kind: 'stall', bytes: gguf, sent: 200_000 }],
    ]);
    server = await serve(routes);
  });
  afterAll(() => server.close());

  it('loads a GGUF by URL exactly as from disk, with progress per chunk ending at the size', async () => {
    const events: LoadProgress[] = [];
    const m = await loadModelFrom(`${server.base}/stories/stories260K.gguf`, { onProgress: (p) => events.push(p) });
    expectSameModel(m, await loadModel(`${STORIES_DIR}stories260K.gguf`));
    expectProgress(events, 'stories260K.gguf', gguf.length);
    expectViewsOfOneBuffer(m);
  });

  it('loads a llama2.c .bin by URL with the tok512.bin beside it, or the tokenizer given', async () => {
    const disk = await loadModel(`${STORIES_DIR}stories260K.bin`);
    const before = server.requests.length;
    expectSameModel(await loadModelFrom(new URL(`${server.base}/stories/stories260K.bin`)), disk);
    expect(server.requests.slice(before)).toEqual(['/stories/stories260K.bin', '/stories/tok512.bin']);
    const withGiven = await loadModelFrom(`${server.base}/stories/stories260K.bin`, { tokenizer: shared('tok512.bin') });
    expectSameModel(withGiven, disk);
  });

  it('loads an HF folder from its base URL (trailing slash), optional files absent on 404', async () => {
    const events: LoadProgress[] = [];
    const before = server.requests.length;
    const m = await loadModelFrom(`${server.base}/gqa/`, { onProgress: (p) => events.push(p) });
    expectSameModel(m, await loadModel(GQA_DIR));
    expect(server.requests.slice(before)).toEqual(['/gqa/config.json', '/gqa/model.safetensors.index.json', '/gqa/model.safetensors', '/gqa/tokenizer.json', '/gqa/tokenizer_config.json', '/gqa/chat_template.jinja']);
    for (const f of GQA_FILES) expectProgress(events, f, readFileSync(GQA_DIR + f).length);
    expectViewsOfOneBuffer(m);
  });

  it('loads a sharded HF folder and a .safetensors URL with the config.json beside it', async () => {
    const disk = await loadModel(GQA_DIR);
    expectSameModel(await loadModelFrom(`${server.base}/sharded/`), disk);
    expectSameModel(await loadModelFrom(`${server.base}/gqa/model.safetensors`), disk);
  });

  it('grows the buffer when the server sends no Content-Length', async () => {
    const events: LoadProgress[] = [];
    const m = await loadModelFrom(`${server.base}/chunked/stories260K.gguf`, { onProgress: (p) => events.push(p) });
    expectSameModel(m, await loadModel(`${STORIES_DIR}stories260K.gguf`));
    expectProgress(events, 'stories260K.gguf', gguf.length, false);
  });

  it('names the URL and status of a 404, and of a server that is not there', async () => {
    const missing = `${server.base}/stories/nope.gguf`;
    const e = await loadModelFrom(missing).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelFetchError);
    expect(e).toMatchObject({ code: 'FETCH_FAILED', status: 404, url: missing });
    expect((e as Error).message).toContain(missing);
    await expect(loadModelFrom(`${server.base}/nothing-here/`)).rejects.toMatchObject({ code: 'FETCH_FAILED', status: 404 });
    // A port nothing listens on: the server was closed right after it was given.
    const gone = await serve(new Map());
    await gone.close();
    const refused = await loadModelFrom(`${gone.base}/x.gguf`).catch((x: unknown) => x);
    expect(refused).toBeInstanceOf(ModelFetchError);
    expect(refused).toMatchObject({ code: 'FETCH_FAILED', status: undefined });
  });

  it('rejects a body shorter than its Content-Length with TruncatedDownloadError', async () => {
    const e = await loadModelFrom(`${server.base}/truncated/stories260K.gguf`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TruncatedDownloadError);
    expect(e).toMatchObject({ code: 'TRUNCATED' });
    expect((e as Error).message).toMatch(new RegExp(`of ${gguf.length} bytes`));
  });

  it('stops with LoadAbortedError when the signal aborts mid-download, or before anything starts', async () => {
    const ctrl = new AbortController();
    let seen = 0;
    const e = await loadModelFrom(`${server.base}/stall/stories260K.gguf`, {
      signal: ctrl.signal,
      onProgress: (p) => {
        seen = p.loaded;
        if (p.loaded > 0) ctrl.abort();
      },
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LoadAbortedError);
    expect(e).toMatchObject({ code: 'ABORTED' });
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(gguf.length);
    const before = server.requests.length;
    await expect(loadModelFrom(`${server.base}/stories/stories260K.gguf`, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(LoadAbortedError);
    expect(server.requests.length).toBe(before);
  });
});
