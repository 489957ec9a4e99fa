// A byte stream (a fetch body, Blob.stream()) into a ByteSink, chunk by chunk, stoppable by a signal.
import { KvkitError } from '@kvkit/tensor';
import { TruncatedDownloadError } from '../errors.js';
import { abortedError, throwIfAborted } from './abort.js';
import type { ByteSink } from './byte-sink.js';

/**
 * Every chunk of `body` into `sink`, then its bytes. A read that fails is `failed(error)`, or a
 * TruncatedDownloadError when it failed short of a known size, or a LoadAbortedError once `signal` aborted.
 */
export async function readStream(
  body: ReadableStream<Uint8Array>,
  sink: ByteSink,
  signal: AbortSignal | undefined,
  failed: (e: unknown) => Error,
): Promise<Uint8Array> {
  const reader = body.getReader();
  // Blob streams know nothing of the signal: cancelling ends the pending read.
  const onAbort = (): void => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  sink.start();
  try {
    for (;;) {
      throwIfAborted(signal, sink.file);
      const { done, value } = await reader.read();
      if (done) break;
      sink.push(value);
    }
    throwIfAborted(signal, sink.file);
    return sink.end();
  } catch (e) {
    void reader.cancel().catch(() => undefined);
    if (signal?.aborted) throw abortedError(signal, sink.file);
    if (e instanceof KvkitError) throw e;
    if (sink.total !== undefined && sink.loaded < sink.total) {
      throw new TruncatedDownloadError(`${sink.file}: the transfer broke off after ${sink.loaded} of ${sink.total} bytes (${(e as Error).message}); load it again`, e);
    }
    throw failed(e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
