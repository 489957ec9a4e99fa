import { SnapshotMalformedError } from './snapshot-errors.js';

/** Appends little-endian values to a growing buffer. */
export class ByteWriter {
  #buf = new Uint8Array(1024);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  u32(v: number): void {
    this.#room(4);
    this.#view.setUint32(this.#len, v, true);
    this.#len += 4;
  }

  f64s(values: ArrayLike<number>): void {
    this.#room(8 * values.length);
    for (let i = 0; i < values.length; i++) this.#view.setFloat64(this.#len + 8 * i, values[i]!, true);
    this.#len += 8 * values.length;
  }

  /** Unsigned LEB128 (values below 2^53). */
  varint(v: number): void {
    this.#room(8);
    while (v >= 128) {
      this.#buf[this.#len++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.#buf[this.#len++] = v;
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Reads what ByteWriter wrote; running past the end is a malformed snapshot (checksums already passed). */
export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #at = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.#buf.length - this.#at;
  }

  #need(n: number, what: string): void {
    if (this.#at + n > this.#buf.length) throw new SnapshotMalformedError(`snapshot payload ends inside ${what}`);
  }

  bytes(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.#buf.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  u32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.#at, true);
    this.#at += 4;
    return v;
  }

  f64s(n: number, what: string): Float64Array {
    this.#need(8 * n, what);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.#view.getFloat64(this.#at + 8 * i, true);
    this.#at += 8 * n;
    return out;
  }

  varint(what: string): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      this.#need(1, what);
      const b = this.#buf[this.#at++]!;
      v += (b & 127) * scale;
      if (b < 128) return v;
      scale *= 128;
      if (scale > 2 ** 56) throw new SnapshotMalformedError(`snapshot varint too long in ${what}`);
    }
  }
}
