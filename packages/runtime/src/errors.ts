import { KvkitError } from '@kvkit/tensor';

/** Generation stopped because its AbortSignal fired; the session stays usable and consistent. */
export class GenerationAbortedError extends KvkitError {
  constructor(message = 'generation aborted') {
    super('ABORTED', message);
  }
}

/** More tokens than the model's context (or the cache's capacity) allows. */
export class ContextOverflowError extends KvkitError {
  constructor(message: string) {
    super('CONTEXT_OVERFLOW', message);
  }
}
