// The few browser storage APIs the snapshot stores use, typed here so the package needs no DOM lib
// (and its .d.ts files name none of these types).

export interface FileLike {
  readonly size: number;
  readonly lastModified: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface WritableLike {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export interface FileHandleLike {
  readonly kind: 'file';
  getFile(): Promise<FileLike>;
  createWritable(): Promise<WritableLike>;
  move(name: string): Promise<void>;
}

export interface DirectoryHandleLike {
  readonly kind: 'directory';
  getDirectoryHandle(name: string, opts?: { create?: boolean }): Promise<DirectoryHandleLike>;
  getFileHandle(name: string, opts?: { create?: boolean }): Promise<FileHandleLike>;
  removeEntry(name: string): Promise<void>;
  entries(): AsyncIterable<[string, FileHandleLike | DirectoryHandleLike]>;
}

export interface StorageManagerLike {
  getDirectory?(): Promise<DirectoryHandleLike>;
  estimate?(): Promise<{ usage?: number; quota?: number }>;
}

export interface IdbRequestLike<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

export interface IdbOpenRequestLike extends IdbRequestLike<IdbDatabaseLike> {
  onupgradeneeded: (() => void) | null;
}

export interface IdbObjectStoreLike {
  put(value: unknown, key?: string): IdbRequestLike<unknown>;
  get(key: string): IdbRequestLike<unknown>;
  getAll(): IdbRequestLike<unknown[]>;
  getKey(key: string): IdbRequestLike<unknown>;
  delete(key: string): IdbRequestLike<undefined>;
}

export interface IdbTransactionLike {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStoreLike;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export interface IdbDatabaseLike {
  createObjectStore(name: string, opts?: { keyPath?: string }): unknown;
  transaction(stores: string | string[], mode?: 'readonly' | 'readwrite'): IdbTransactionLike;
}

export interface IdbFactoryLike {
  open(name: string, version?: number): IdbOpenRequestLike;
}

export function storageManager(): StorageManagerLike | undefined {
  return (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator?.storage;
}

export function indexedDb(): IdbFactoryLike | undefined {
  return (globalThis as { indexedDB?: IdbFactoryLike }).indexedDB;
}
