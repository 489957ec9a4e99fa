// A file on disk into one buffer, chunk by chunk, with progress and abort (no 2 GiB readFile limit).
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelNotFoundError } from '../errors.js';
import { throwIfAborted } from '../load/abort.js';
import { ByteSink } from '../load/byte-sink.js';
import type { ReadOptions } from '../load/types.js';

const CHUNK_BYTES = 4 << 20;
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

export interface ReadFileOptions extends ReadOptions {
  /** The name progress events carry (default: the file's base name). */
  readonly file?: string;
}

/** Node error codes of a path that is not there (or not a file). */
export function isMissing(e: unknown): boolean {
  return MISSING.has((e as NodeJS.ErrnoException).code ?? '');
}

/** The bytes of a file (a path or a `file:` URL); a missing file is ModelNotFoundError. */
export async function readFileBytes(path: string | URL, opts: ReadFileOptions = {}): Promise<Uint8Array> {
  const p = typeof path === 'string' ? path : fileURLToPath(path);
  const file = opts.file ?? basename(p);
  throwIfAborted(opts.signal, file);
  let handle;
  try {
    handle = await open(p, 'r');
  } catch (e) {
    if (isMissing(e)) throw new ModelNotFoundError(`file not found: ${p}`);
    throw e;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ModelNotFoundError(`not a file: ${p}`);
    const sink = new ByteSink(file, info.size, opts);
    sink.start();
    const chunk = new Uint8Array(Math.max(1, Math.min(CHUNK_BYTES, info.size)));
    for (;;) {
      throwIfAborted(opts.signal, file);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      sink.push(chunk.subarray(0, bytesRead));
    }
    return sink.end();
  } finally {
    await handle.close();
  }
}
