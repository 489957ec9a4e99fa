import { LoadAbortedError } from '../errors.js';

/** The typed error for an aborted load of `what`, carrying the signal's reason. */
export function abortedError(signal: AbortSignal, what: string): LoadAbortedError {
  return new LoadAbortedError(`loading ${what} was aborted`, signal.reason);
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(signal, what);
}
