// Cache Storage is a browser API; Node has none, so these tests install a small in-memory one with the same
// semantics for what the loader uses (open/match/put/delete, each match a fresh Response).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_CACHE, TruncatedDownloadError, clearModelCache, loadModelFrom } from '../src/index.js';
import { loadModel } from '../src/node/index.js';
import type { TestServer } from './http-server.js';
import { GQA_DIR, folderRoutes, serve } from './http-server.js';
import { expectSameModel } from './same-model.js';
import { STORIES_DIR, shared } from './shared.js';

interface Stored {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: ArrayBuffer;
}

class MemoryCache {
  readonly entries = new Map<string, Stored>();
  async match(url: string): Promise<Response | undefined> {
    const s = this.entries.get(url);
    return s && new Response(s.status === 404 ? null : s.body.slice(0), { status: s.status, headers: s.headers });
  }
  async put(url: string, response: Response): Promise<void> {
    const body = await response.arrayBuffer();
    this.entries.set(url, { status: response.status, headers: [...response.headers], body });
  }
  async delete(url: string): Promise<boolean> {
    return this.entries.delete(url);
  }
}

class MemoryCacheStorage {
  readonly caches = new Map<string, MemoryCache>();
  async open(name: string): Promise<MemoryCache> {
    let c = this.caches.get(name);
    if (!c) this.caches.set(name, (c = new MemoryCache()));
    return c;
  }
  async delete(name: string): Promise<boolean> {
    return this.caches.delete(name);
  }
}

describe('loadModelFrom with Cache Storage', () => {
  let server: TestServer;
  let storage: MemoryCacheStorage;
  const g = globalThis as { caches?: unknown };
  beforeAll(async () => {
    server = await serve(
      new Map([
        ...folderRoutes('gqa', GQA_DIR, ['config.json', 'model.safetensors', 'tokenizer.json']),
        ...folderRoutes('stories', STORIES_DIR, ['stories260K.gguf']),
        ['/truncated/stories260K.gguf', { kind: 'truncated', bytes: shared('stories260K.gguf'), sent: 100_000 }],
      ]),
    );
  });
  afterAll(() => server.close());
  beforeEach(() => {
    storage = new MemoryCacheStorage();
    g.caches = storage;
  });
  afterEach(() => {
    delete g.caches;
  });

  it('serves a reload of an HF folder from the cache without any request, 404s of optional files included', async () => {
    const disk = await loadModel(GQA_DIR);
    const before = server.requests.length;
    expectSameModel(await loadModelFrom(`${server.base}/gqa/`), disk);
    const first = server.requests.length - before;
    expect(first).toBe(6);
    expect(storage.caches.get(DEFAULT_MODEL_CACHE)!.entries.size).toBe(6);
    expectSameModel(await loadModelFrom(`${server.base}/gqa/`), disk);
    expect(server.requests.length - before).toBe(first);
    // Cleared, the next load downloads again.
    expect(await clearModelCache()).toBe(true);
    expectSameModel(await loadModelFrom(`${server.base}/gqa/`), disk);
    expect(server.requests.length - before).toBe(2 * first);
  });

  it('uses the named cache, or none with cache: false', async () => {
    const url = `${server.base}/stories/stories260K.gguf`;
    await loadModelFrom(url, { cache: 'mine' });
    expect([...storage.caches.keys()]).toEqual(['mine']);
    expect(await clearModelCache('mine')).toBe(true);
    const before = server.requests.length;
    await loadModelFrom(url, { cache: false });
    await loadModelFrom(url, { cache: false });
    expect(server.requests.length - before).toBe(2);
    expect(storage.caches.size).toBe(0);
  });

  it('keeps nothing of a truncated download', async () => {
    await expect(loadModelFrom(`${server.base}/truncated/stories260K.gguf`)).rejects.toBeInstanceOf(TruncatedDownloadError);
    expect(storage.caches.get(DEFAULT_MODEL_CACHE)?.entries.size ?? 0).toBe(0);
  });

  it('opens no cache for sources that are not http(s)', async () => {
    await loadModelFrom(new Blob([shared('stories260K.gguf')]));
    await loadModelFrom(`${STORIES_DIR}stories260K.gguf`);
    expect(storage.caches.size).toBe(0);
  });
});

describe('clearModelCache without Cache Storage', () => {
  it('has nothing to clear', async () => {
    expect(await clearModelCache()).toBe(false);
  });
});
