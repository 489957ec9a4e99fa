// One FileSource (URL, path, Blob, bytes) -> its bytes, with progress and abort.
import { InvalidArgumentError } from '@kvkit/tensor';
import { ModelNotFoundError } from '../errors.js';
import { throwIfAborted } from './abort.js';
import { ByteSink } from './byte-sink.js';
import type { FetchOptions } from './fetch-bytes.js';
import { fetchBytes } from './fetch-bytes.js';
import { inNode, nodeEntry } from './node-entry.js';
import { readStream } from './read-stream.js';
import type { FileSource, LoadModelFromOptions, ModelFileSet, ModelSource } from './types.js';

const URL_SCHEME = /^(https?|blob|data|file):/i;

/** Where a string or URL points: a path on disk (Node), or a URL to fetch. */
export type Location = { readonly kind: 'path'; readonly path: string | URL } | { readonly kind: 'url'; readonly url: URL };

export function locate(source: string | URL): Location {
  if (typeof source !== 'string') return source.protocol === 'file:' && inNode() ? { kind: 'path', path: source } : { kind: 'url', url: source };
  if (URL_SCHEME.test(source)) {
    const url = new URL(source);
    return url.protocol === 'file:' && inNode() ? { kind: 'path', path: url } : { kind: 'url', url };
  }
  if (inNode()) return { kind: 'path', path: source };
  // In a page a plain string is a URL relative to the page.
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return { kind: 'url', url: base === undefined ? new URL(source) : new URL(source, base) };
}

export function isFileSet(source: ModelSource): source is ModelFileSet {
  return (
    typeof source === 'object' &&
    !(source instanceof URL) &&
    !(source instanceof Blob) &&
    !(source instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(source) &&
    typeof (source as { files?: unknown }).files === 'object' &&
    (source as { files?: unknown }).files !== null
  );
}

/** The last segment of a path or URL path ("" for none). */
export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** A short name for progress events and messages. */
export function nameOf(source: FileSource): string {
  if (typeof source === 'string' || source instanceof URL) {
    const loc = locate(source);
    if (loc.kind === 'path') return baseName(typeof loc.path === 'string' ? loc.path : decodeURIComponent(loc.path.pathname)) || String(loc.path);
    if (loc.url.protocol === 'data:') return 'data URL';
    return decodeURIComponent(baseName(loc.url.pathname)) || loc.url.host || loc.url.href;
  }
  if (source instanceof Blob) {
    const name = (source as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? name : 'Blob';
  }
  return 'bytes';
}

/** Bytes given in memory, viewed (not copied). */
function viewOf(source: ArrayBuffer | ArrayBufferView): Uint8Array {
  return source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}

/** A Blob's bytes; a Blob that cannot be read (a File changed or removed since it was picked) is ModelNotFoundError. */
export function readBlob(blob: Blob, file: string, opts: FetchOptions): Promise<Uint8Array> {
  throwIfAborted(opts.signal, file);
  return readStream(blob.stream() as ReadableStream<Uint8Array>, new ByteSink(file, blob.size, opts), opts.signal, (e) => new ModelNotFoundError(`${file} could not be read (${(e as Error).message}); pick the file again`));
}

/** The bytes of `source`, reported as `file`. */
export async function readSource(source: FileSource, file: string, opts: FetchOptions): Promise<Uint8Array> {
  throwIfAborted(opts.signal, file);
  if (typeof source === 'string' || source instanceof URL) {
    const loc = locate(source);
    if (loc.kind === 'path') return (await nodeEntry()).readFileBytes(loc.path, { ...opts, file });
    return (await fetchBytes(loc.url, file, opts))!;
  }
  if (source instanceof Blob) return readBlob(source, file, opts);
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = viewOf(source);
    opts.onProgress?.({ loaded: bytes.length, total: bytes.length, file });
    return bytes;
  }
  throw new InvalidArgumentError(`${file}: ${Object.prototype.toString.call(source)} is not a file source; pass a URL, a path (Node), a Blob/File, or bytes`);
}

/** The bytes of the `tokenizer` option, when there is one. */
export async function tokenizerOption(opts: LoadModelFromOptions, io: FetchOptions): Promise<Uint8Array | undefined> {
  return opts.tokenizer === undefined ? undefined : readSource(opts.tokenizer, nameOf(opts.tokenizer), io);
}
