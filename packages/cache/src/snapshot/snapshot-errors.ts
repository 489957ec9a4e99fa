import { KvkitError } from '@kvkit/tensor';

/** Shorter than its own header says: a partial download or write. */
export class SnapshotTruncatedError extends KvkitError {
  constructor(message: string) {
    super('SNAPSHOT_TRUNCATED', message);
  }
}

/** Not a kvkit snapshot: the first bytes are not the magic `KVKSNAP\0`. */
export class SnapshotMagicError extends KvkitError {
  constructor(message: string) {
    super('SNAPSHOT_BAD_MAGIC', message);
  }
}

/** Written by a newer kvkit (a format version this one cannot read). */
export class SnapshotVersionError extends KvkitError {
  constructor(message: string) {
    super('SNAPSHOT_VERSION', message);
  }
}

/** The header or payload checksum does not match: the bytes were changed or corrupted. */
export class SnapshotChecksumError extends KvkitError {
  constructor(message: string) {
    super('SNAPSHOT_CHECKSUM', message);
  }
}

/** Checksums match but the content is inconsistent (a header that does not describe its payload). */
export class SnapshotMalformedError extends KvkitError {
  constructor(message: string) {
    super('SNAPSHOT_MALFORMED', message);
  }
}

/** The snapshot was made with another model (its identity hash differs). */
export class SnapshotModelMismatchError extends KvkitError {
  constructor(message: string) {
    super('SNAPSHOT_MODEL_MISMATCH', message);
  }
}

/** The snapshot's cache differs from what the caller asked for (`field`: kvDtype, layout, policy, ...). */
export class SnapshotOptionsMismatchError extends KvkitError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('SNAPSHOT_OPTIONS_MISMATCH', message);
    this.field = field;
  }
}
