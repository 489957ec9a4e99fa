// One file over HTTP (or a blob:/data: URL) into one buffer, through Cache Storage when there is one.
import { ModelFetchError } from '../errors.js';
import { abortedError, throwIfAborted } from './abort.js';
import { ByteSink } from './byte-sink.js';
import type { CacheLike } from './model-cache.js';
import { readStream } from './read-stream.js';
import type { ReadOptions } from './types.js';

export interface FetchOptions extends ReadOptions {
  /** Where http(s) responses are kept and looked up first; opened only when needed. */
  readonly cache?: (() => Promise<CacheLike | undefined>) | undefined;
}

/** The announced body size, unless the body is compressed (then the header counts the compressed bytes). */
function contentLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return undefined;
  const n = Number(response.headers.get('content-length') ?? NaN);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function describe(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  const why = e instanceof Error ? e.message : String(e);
  return cause instanceof Error && cause.message ? `${why}: ${cause.message}` : why;
}

/**
 * The bytes at `url`, reported as `file`. With `optional`, a 404 means the file is absent (undefined); any other
 * failure is a ModelFetchError naming the URL. A 404 of an optional file is cached too, so a reload needs no
 * network at all.
 */
export async function fetchBytes(url: URL, file: string, opts: FetchOptions, optional = false): Promise<Uint8Array | undefined> {
  const { signal } = opts;
  throwIfAborted(signal, file);
  const cache = url.protocol === 'http:' || url.protocol === 'https:' ? await opts.cache?.() : undefined;
  const cached = await cache?.match(url.href).catch(() => undefined);
  let response = cached;
  if (!response) {
    try {
      response = await fetch(url, signal ? { signal } : {});
    } catch (e) {
      if (signal?.aborted) throw abortedError(signal, file);
      throw new ModelFetchError(url.href, `GET ${url.href} failed: ${describe(e)}; check the URL, the network, and that the server allows this origin (CORS)`, undefined, e);
    }
  }
  if (response.status === 404 && optional) {
    void response.body?.cancel().catch(() => undefined);
    if (cache && !cached) await cache.put(url.href, new Response(null, { status: 404 })).catch(() => undefined);
    return undefined;
  }
  if (!response.ok) {
    void response.body?.cancel().catch(() => undefined);
    throw new ModelFetchError(url.href, `GET ${url.href}: HTTP ${response.status} ${response.statusText}`.trimEnd() + '; check the URL (and access rights for a gated model)', response.status);
  }
  const sink = new ByteSink(file, contentLength(response), opts);
  if (!response.body) {
    sink.start();
    return sink.end();
  }
  // The cache reads its own branch of the body while this one fills the buffer.
  const stored = cache && !cached ? cache.put(url.href, response.clone()) : undefined;
  try {
    const bytes = await readStream(response.body, sink, signal, (e) => new ModelFetchError(url.href, `GET ${url.href}: the download failed (${describe(e)}); load it again`, undefined, e));
    await stored?.catch(() => undefined);
    return bytes;
  } catch (e) {
    if (stored) {
      await stored.catch(() => undefined);
      await cache!.delete(url.href).catch(() => undefined);
    }
    throw e;
  }
}
