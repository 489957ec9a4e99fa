import { InvalidArgumentError, KvkitError } from '@kvkit/tensor';

/** One stored snapshot: its key, its size in bytes, and when it was saved (ms since the epoch). */
export interface SnapshotEntry {
  readonly key: string;
  readonly size: number;
  readonly savedAt: number;
}

/**
 * Where an app keeps snapshots (OPFS, IndexedDB, a folder in Node): bytes under a key, with sizes, so
 * that it can decide what to delete when space runs short.
 */
export interface SnapshotStore {
  /** Saves (or replaces) `key`; SnapshotQuotaError when it does not fit. */
  put(key: string, bytes: Uint8Array): Promise<SnapshotEntry>;
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every entry, oldest first. */
  list(): Promise<SnapshotEntry[]>;
  /** Whether there was an entry to delete. */
  delete(key: string): Promise<boolean>;
  /** Bytes the entries take, the store's own limit, and the origin's usage and quota where the platform tells. */
  usage(): Promise<{ readonly bytes: number; readonly maxBytes?: number; readonly originUsage?: number; readonly originQuota?: number }>;
}

export interface SnapshotStoreOptions {
  /** The most bytes the store's entries may take together; a put past it throws SnapshotQuotaError. */
  readonly maxBytes?: number;
}

/** A put that does not fit: the store's `maxBytes`, or the browser's or disk's quota. */
export class SnapshotQuotaError extends KvkitError {
  readonly needed: number;
  readonly available: number | undefined;
  constructor(message: string, needed: number, available?: number, cause?: unknown) {
    super('SNAPSHOT_QUOTA', message, cause === undefined ? undefined : { cause });
    this.needed = needed;
    this.available = available;
  }
}

/** The storage this store needs is missing (no OPFS or IndexedDB in this context) or failed. */
export class SnapshotStoreError extends KvkitError {
  constructor(message: string, cause?: unknown) {
    super('SNAPSHOT_STORE', message, cause === undefined ? undefined : { cause });
  }
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Keys are file-name safe everywhere: letters, digits, '.', '_', '-', at most 128, not starting with a dot. */
export function checkSnapshotKey(key: string): string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new InvalidArgumentError(`snapshot key ${JSON.stringify(key)}: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return key;
}

export function checkSnapshotBytes(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`a snapshot is a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  return bytes;
}

export function checkMaxBytes(maxBytes: number | undefined): void {
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new InvalidArgumentError(`maxBytes must be a positive integer, got ${maxBytes}`);
}

/** Throws SnapshotQuotaError when replacing `key` with `size` bytes would pass `maxBytes`. */
export function ensureRoom(entries: readonly SnapshotEntry[], key: string, size: number, maxBytes: number | undefined): void {
  if (maxBytes === undefined) return;
  const others = entries.reduce((a, e) => a + (e.key === key ? 0 : e.size), 0);
  if (others + size > maxBytes) {
    throw new SnapshotQuotaError(`snapshot '${key}' needs ${size} bytes; the store holds ${others} of its ${maxBytes}: delete an entry (list() gives sizes) or raise maxBytes`, size, maxBytes - others);
  }
}

/** A platform quota failure (DOMException QuotaExceededError, ENOSPC, EDQUOT) as SnapshotQuotaError; anything else as SnapshotStoreError. */
export function storageFailure(e: unknown, key: string, size: number): KvkitError {
  if (e instanceof KvkitError) return e;
  const name = (e as { name?: string })?.name;
  const code = (e as { code?: string })?.code;
  if (name === 'QuotaExceededError' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new SnapshotQuotaError(`no room to save snapshot '${key}' (${size} bytes): ${String((e as Error).message ?? e)}; delete older snapshots (list() gives sizes)`, size, undefined, e);
  }
  return new SnapshotStoreError(`saving or reading snapshot '${key}' failed: ${String((e as Error)?.message ?? e)}`, e);
}
