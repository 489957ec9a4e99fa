// What loadModelFrom accepts and the options it takes.

/** One file: a URL (string or URL object), in Node also a path or `file:` URL, a Blob/File, or bytes. */
export type FileSource = string | URL | Blob | ArrayBuffer | ArrayBufferView;

/**
 * Several files by name, e.g. `{ 'config.json', 'model.safetensors', 'tokenizer.json' }`, `{ 'x.gguf' }` or
 * the files of a folder picked in a page (names may carry the folder: `gqa/config.json`).
 */
export interface ModelFileSet {
  readonly files: Readonly<Record<string, FileSource>>;
}

export type ModelSource = FileSource | ModelFileSet;

/** Bytes of `file` read so far; `total` is undefined while the size is not known. */
export interface LoadProgress {
  readonly loaded: number;
  readonly total: number | undefined;
  readonly file: string;
}

export interface LoadModelFromOptions {
  /** A llama2.c tokenizer (tok512.bin, tokenizer.bin) for a .bin checkpoint; replaces a GGUF's embedded one. */
  readonly tokenizer?: FileSource;
  /** Called for every chunk read of every file. */
  readonly onProgress?: (p: LoadProgress) => void;
  /** Stops the load at any point with a LoadAbortedError. */
  readonly signal?: AbortSignal;
  /**
   * Browser: keep http(s) downloads in Cache Storage and serve them from it next time (default true where
   * `caches` exists; a string names the cache, default 'kvkit-models'). Ignored where there is no `caches`.
   */
  readonly cache?: boolean | string;
}

/** How one file is read: progress, abort, and where the bytes should start (see ByteSink). */
export interface ReadOptions {
  readonly onProgress?: ((p: LoadProgress) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}
