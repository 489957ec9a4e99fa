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

/** A download that failed: an HTTP error status, or no response at all (network, DNS, CORS). */
export class ModelFetchError extends KvkitError {
  readonly url: string;
  /** The HTTP status, absent when no response came back. */
  readonly status: number | undefined;
  constructor(url: string, message: string, status?: number, cause?: unknown) {
    super('FETCH_FAILED', message, cause === undefined ? undefined : { cause });
    this.url = url;
    this.status = status;
  }
}

/** A download whose body ended before the length its server announced. */
export class TruncatedDownloadError extends KvkitError {
  constructor(message: string, cause?: unknown) {
    super('TRUNCATED', message, cause === undefined ? undefined : { cause });
  }
}

/** A load stopped by its AbortSignal; nothing of it is kept. */
export class LoadAbortedError extends KvkitError {
  constructor(message: string, cause?: unknown) {
    super('ABORTED', message, cause === undefined ? undefined : { cause });
  }
}
