// One file's bytes gathered into one buffer as its chunks arrive: preallocated when the size is known
// (no second copy of the weights), grown geometrically when it is not.
import { TruncatedDownloadError, UnsupportedModelError } from '../errors.js';
import type { ReadOptions } from './types.js';

/** Bytes of a file needed to choose its place in the buffer (a safetensors header length + its '{'). */
const HEAD_BYTES = 9;
const MIN_CAPACITY = 1 << 16;
/** safetensors headers are at most 100 MB; a larger "length" means the file is something else. */
const MAX_SAFETENSORS_HEADER = 100_000_000;

/**
 * How many bytes to leave before a file so that its data land aligned: a safetensors data section starts at
 * 8 + header length, which writers pad to a multiple of 8 but older ones did not; starting the file a few
 * bytes later lets readSafetensors view every tensor in place instead of copying the misaligned ones.
 */
export function leadingPad(head: Uint8Array): number {
  if (head.length < HEAD_BYTES || head[8] !== 0x7b) return 0;
  const view = new DataView(head.buffer, head.byteOffset, 8);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_SAFETENSORS_HEADER)) return 0;
  return -Number(headerLen) & 7;
}

function allocate(bytes: number, file: string): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch (e) {
    throw new UnsupportedModelError(`${file}: ${bytes} bytes do not fit in one buffer here (${(e as Error).message}); use a smaller or quantized model`);
  }
}

export class ByteSink {
  readonly file: string;
  #total: number | undefined;
  readonly #onProgress: ReadOptions['onProgress'];
  /** The whole allocation: `#pad` unused bytes, then the file. */
  #buf: Uint8Array | undefined;
  #pad = 0;
  #loaded = 0;
  /** First bytes, kept aside only while fewer than HEAD_BYTES have come. */
  #head: Uint8Array = new Uint8Array(0);

  constructor(file: string, total: number | undefined, opts: ReadOptions) {
    this.file = file;
    this.#total = total;
    this.#onProgress = opts.onProgress;
  }

  get loaded(): number {
    return this.#loaded;
  }

  get total(): number | undefined {
    return this.#total;
  }

  /** Reports nothing read yet (so a caller sees every file start, also an empty one). */
  start(): void {
    this.#onProgress?.({ loaded: 0, total: this.#total, file: this.file });
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#loaded += chunk.length;
    if (!this.#buf) {
      if (this.#head.length + chunk.length < HEAD_BYTES) {
        const head = new Uint8Array(this.#head.length + chunk.length);
        head.set(this.#head);
        head.set(chunk, this.#head.length);
        this.#head = head;
      } else {
        const first = this.#head.length === 0 ? chunk : concat(this.#head, chunk);
        this.#head = new Uint8Array(0);
        this.#open(leadingPad(first), first.length);
        this.#write(first, this.#loaded - first.length);
      }
    } else {
      this.#write(chunk, this.#loaded - chunk.length);
    }
    // A body longer than announced (a compressed transfer, say): the size is not known after all.
    if (this.#total !== undefined && this.#loaded > this.#total) this.#total = undefined;
    this.#onProgress?.({ loaded: this.#loaded, total: this.#total, file: this.file });
  }

  /** The file's bytes; throws TruncatedDownloadError when fewer came than announced. */
  end(): Uint8Array {
    if (this.#total !== undefined && this.#loaded < this.#total) {
      throw new TruncatedDownloadError(`${this.file}: got ${this.#loaded} of ${this.#total} bytes, the transfer ended early; load it again`);
    }
    if (!this.#buf) return this.#head;
    return this.#buf.subarray(this.#pad, this.#pad + this.#loaded);
  }

  #open(pad: number, firstChunk: number): void {
    this.#pad = pad;
    const capacity = this.#total ?? Math.max(MIN_CAPACITY, 2 * firstChunk);
    this.#buf = allocate(pad + Math.max(capacity, firstChunk), this.file);
  }

  #write(chunk: Uint8Array, at: number): void {
    let buf = this.#buf!;
    const end = this.#pad + at + chunk.length;
    if (end > buf.length) {
      const bigger = allocate(Math.max(end, 2 * buf.length), this.file);
      bigger.set(buf.subarray(0, this.#pad + at));
      buf = this.#buf = bigger;
    }
    buf.set(chunk, this.#pad + at);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
