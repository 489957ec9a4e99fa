// Errors of the demo's own checks, and how any error crosses to the page.
import { KvkitError } from '@kvkit/tensor';
import type { ErrorMessage } from '../protocol.js';

/** A model whose files need more memory than the chosen backend can hold. */
export class ModelTooLargeError extends KvkitError {
  constructor(message: string) {
    super('MODEL_TOO_LARGE', message);
  }
}

/** A KvkitError keeps its code and class name; anything else is reported as an internal error. */
export function toErrorMessage(e: unknown): ErrorMessage {
  if (e instanceof KvkitError) return { code: e.code, name: e.name, message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { code: 'INTERNAL', name: err.name || 'Error', message: err.message };
}
