// GGUF v3 writer (little-endian). Metadata keep their declared types, so readGguf(writeGguf(x)) gives x back.
import type { HostTensor } from '@kvkit/tensor';
import { InvalidArgumentError, blockInfo, byteSize, numel } from '@kvkit/tensor';
import { ggmlTypeOfDType } from './ggml-type.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './reader.js';
import type { GgufArrayItem, GgufValue, GgufValueType } from './value.js';
import { GGUF_VALUE_TYPES } from './value.js';

export interface GgufWriteInput {
  /** Written in iteration order. A 'general.alignment' u32 entry changes the data alignment (default 32). */
  readonly metadata?: ReadonlyMap<string, GgufValue> | Iterable<readonly [string, GgufValue]>;
  /** Row-major tensors (written with GGUF's reversed dims), in iteration order. */
  readonly tensors?: ReadonlyMap<string, HostTensor> | Iterable<readonly [string, HostTensor]>;
}

const utf8 = new TextEncoder();
const INT_RANGES: Partial<Record<GgufValueType, readonly [number, number]>> = {
  u8: [0, 0xff],
  i8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
};

/** Growable little-endian byte sink for the header part (metadata and tensor infos). */
class ByteSink {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): DataView {
    if (this.length + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      bigger.set(this.buf.subarray(0, this.length));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    return this.view;
  }
  u8(v: number): void {
    this.reserve(1).setUint8(this.length, v);
    this.length += 1;
  }
  i8(v: number): void {
    this.reserve(1).setInt8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.reserve(2).setUint16(this.length, v, true);
    this.length += 2;
  }
  i16(v: number): void {
    this.reserve(2).setInt16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4).setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4).setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4).setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.reserve(8).setFloat64(this.length, v, true);
    this.length += 8;
  }
  u64(v: bigint): void {
    this.reserve(8).setBigUint64(this.length, v, true);
    this.length += 8;
  }
  i64(v: bigint): void {
    this.reserve(8).setBigInt64(this.length, v, true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.u64(BigInt(b.length));
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function bad(field: string, why: string): never {
  throw new InvalidArgumentError(`writeGguf: ${field}: ${why}`);
}

function writeItem(out: ByteSink, type: GgufValueType, v: GgufArrayItem, field: string): void {
  const range = INT_RANGES[type];
  if (range) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) bad(field, `${String(v)} is not a ${type}`);
  }
  switch (type) {
    case 'u8':
      return out.u8(v as number);
    case 'i8':
      return out.i8(v as number);
    case 'u16':
      return out.u16(v as number);
    case 'i16':
      return out.i16(v as number);
    case 'u32':
      return out.u32(v as number);
    case 'i32':
      return out.i32(v as number);
    case 'f32':
    case 'f64':
      if (typeof v !== 'number') bad(field, `${String(v)} is not a number`);
      return type === 'f32' ? out.f32(v) : out.f64(v);
    case 'u64':
    case 'i64': {
      const ok = typeof v === 'bigint' && (type === 'u64' ? v >= 0n && v < 1n << 64n : v >= -(1n << 63n) && v < 1n << 63n);
      if (!ok) bad(field, `${String(v)} is not a ${type} bigint`);
      return type === 'u64' ? out.u64(v) : out.i64(v);
    }
    case 'bool':
      if (typeof v !== 'boolean') bad(field, `${String(v)} is not a boolean`);
      return out.u8(v ? 1 : 0);
    case 'string':
      if (typeof v !== 'string') bad(field, `${String(v)} is not a string`);
      return out.string(v);
    case 'array': {
      if (typeof v !== 'object' || v === null || v.type !== 'array' || !Array.isArray(v.value)) bad(field, 'nested item is not a GgufArray');
      const itemId = GGUF_VALUE_TYPES.indexOf(v.itemType);
      if (itemId < 0) bad(field, `unknown item type ${String(v.itemType)}`);
      out.u32(itemId);
      out.u64(BigInt(v.value.length));
      for (const item of v.value) writeItem(out, v.itemType, item, field);
      return;
    }
    default:
      return type satisfies never;
  }
}

function entries<T>(x: ReadonlyMap<string, T> | Iterable<readonly [string, T]> | undefined): (readonly [string, T])[] {
  return x === undefined ? [] : [...x];
}

/** Serialises metadata and tensors as a GGUF v3 file. */
export function writeGguf(input: GgufWriteInput): Uint8Array {
  const metadata = entries(input.metadata);
  const tensors = entries(input.tensors);
  const out = new ByteSink();
  out.u32(GGUF_MAGIC);
  out.u32(3);
  out.u64(BigInt(tensors.length));
  out.u64(BigInt(metadata.length));

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const keys = new Set<string>();
  for (const [key, value] of metadata) {
    if (keys.has(key)) bad(key, 'duplicate metadata key');
    keys.add(key);
    const typeId = GGUF_VALUE_TYPES.indexOf(value.type);
    if (typeId < 0) bad(key, `unknown value type ${String(value.type)}`);
    if (key === 'general.alignment') {
      const a = value.type === 'u32' ? value.value : 0;
      if (a === 0 || (a & (a - 1)) !== 0) bad(key, 'must be a power-of-two u32');
      alignment = a;
    }
    out.string(key);
    out.u32(typeId);
    writeItem(out, value.type, value.type === 'array' ? value : value.value, key);
  }

  const names = new Set<string>();
  let dataSize = 0;
  const placed: { data: Uint8Array; offset: number }[] = [];
  for (const [name, t] of tensors) {
    if (names.has(name)) bad(name, 'duplicate tensor name');
    names.add(name);
    if (t.shape.length < 1 || t.shape.length > 4) bad(name, `${t.shape.length} dimensions (1..4 allowed)`);
    const count = numel(t.shape);
    const { values } = blockInfo(t.dtype);
    const rowLength = t.shape[t.shape.length - 1];
    if (rowLength % values !== 0) bad(name, `rows of ${rowLength} are not whole ${t.dtype} blocks of ${values}`);
    const size = byteSize(t.dtype, count);
    if (t.data.length !== size) bad(name, `${t.data.length} bytes of data for ${t.dtype} [${t.shape.join(', ')}] (${size} expected)`);
    out.string(name);
    out.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) out.u64(BigInt(t.shape[d]));
    out.u32(ggmlTypeOfDType(t.dtype));
    out.u64(BigInt(dataSize));
    placed.push({ data: t.data, offset: dataSize });
    dataSize += Math.ceil(size / alignment) * alignment;
  }

  const header = out.result();
  const dataOffset = Math.ceil(header.length / alignment) * alignment;
  const file = new Uint8Array(dataOffset + dataSize);
  file.set(header);
  for (const p of placed) file.set(p.data, dataOffset + p.offset);
  return file;
}
