/** Base class of every error kvkit throws on bad input or a failed device; `code` is stable for scripts. */
export class KvkitError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Tensor shapes or sizes that do not fit together. */
export class ShapeMismatchError extends KvkitError {
  constructor(message: string) {
    super('SHAPE_MISMATCH', message);
  }
}

/** A dtype that an op or a backend does not support. */
export class UnsupportedDTypeError extends KvkitError {
  constructor(message: string) {
    super('UNSUPPORTED_DTYPE', message);
  }
}

/** An argument outside its valid range (negative sizes, unknown options, ...). */
export class InvalidArgumentError extends KvkitError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** A tensor or buffer used after it was disposed. */
export class DisposedError extends KvkitError {
  constructor(message: string) {
    super('DISPOSED', message);
  }
}

/** Worker threads asked for where this entry point cannot start them (the message names the entry that can). */
export class ThreadsUnavailableError extends KvkitError {
  constructor(message: string) {
    super('THREADS_UNAVAILABLE', message);
  }
}

/** Memory that could not be allocated: a tensor larger than this runtime or machine can hold. */
export class OutOfMemoryError extends KvkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OUT_OF_MEMORY', message, options);
  }
}
