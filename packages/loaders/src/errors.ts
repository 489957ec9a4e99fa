import { KvkitError } from '@kvkit/tensor';

/** A model or tokenizer file that is not what it claims to be (wrong magic, truncated, bad offsets, absurd sizes). */
export class MalformedFileError extends KvkitError {
  constructor(message: string) {
    super('MALFORMED_FILE', message);
  }
}

/** A file that is valid but uses something kvkit does not support (architecture, tensor type). */
export class UnsupportedModelError extends KvkitError {
  constructor(message: string) {
    super('UNSUPPORTED_MODEL', message);
  }
}

/** A path that does not exist or a folder without a model in it. */
export class ModelNotFoundError extends KvkitError {
  constructor(message: string) {
    super('MODEL_NOT_FOUND', message);
  }
}
