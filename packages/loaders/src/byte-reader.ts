import { MalformedFileError } from './errors.js';

// Non-fatal so odd vocab bytes do not reject a file llama.cpp accepts; ignoreBOM keeps a U+FEFF token intact.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Little-endian cursor over untrusted bytes. Every read checks the bytes left first, so a bad file throws
 * MalformedFileError (never RangeError), and no length read from the file is trusted before that check.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  /** What is being read, for error messages ("GGUF", "tok512.bin", ...). */
  readonly what: string;
  pos: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, what: string, pos = 0) {
    this.bytes = bytes;
    this.what = what;
    this.pos = pos;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are there; `field` names what was being read. */
  need(n: number, field: string): void {
    if (!(Number.isSafeInteger(n) && n >= 0 && n <= this.remaining)) {
      throw new MalformedFileError(
        `${this.what}: truncated or corrupt at byte ${this.pos}: ${field} needs ${n} bytes, ${this.remaining} left`,
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.pos++);
  }
  i8(field: string): number {
    this.need(1, field);
    return this.view.getInt8(this.pos++);
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i16(field: string): number {
    this.need(2, field);
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(field: string): number {
    this.need(4, field);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f32(field: string): number {
    this.need(4, field);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(field: string): number {
    this.need(8, field);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  i64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A uint64 that must fit a JS safe integer (sizes, counts, offsets). */
  u64Safe(field: string): number {
    const at = this.pos;
    const v = this.u64(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new MalformedFileError(`${this.what}: ${field} at byte ${at} is ${v}, too large`);
    }
    return Number(v);
  }

  /** The next `n` bytes as a view into the file (no copy). */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** `n` bytes decoded as UTF-8. */
  utf8(n: number, field: string): string {
    return utf8.decode(this.take(n, field));
  }
}
