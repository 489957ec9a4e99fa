import { KvkitError } from '@kvkit/tensor';

/** The cache has no room for more tokens (context length or page pool exhausted). */
export class CacheFullError extends KvkitError {
  constructor(message: string) {
    super('CACHE_FULL', message);
  }
}
