// GGUF v2/v3 (little-endian) parser. Nothing read from the file is trusted: each count or length is checked
// against the bytes left before anything is allocated for it, and 64-bit sizes must be safe integers.
import type { DType, HostTensor } from '@kvkit/tensor';
import { blockInfo } from '@kvkit/tensor';
import { ByteReader } from '../byte-reader.js';
import { alignedBytes } from '../byte-view.js';
import { MalformedFileError, UnsupportedModelError } from '../errors.js';
import { dtypeOfGgmlType } from './ggml-type.js';
import type { GgufArray, GgufArrayItem, GgufValue, GgufValueType } from './value.js';
import { GGUF_VALUE_TYPES, minEncodedSize } from './value.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
export const GGUF_DEFAULT_ALIGNMENT = 32;
const SOURCE = 'GGUF';
const MAX_DIMS = 4;
/** Nested arrays are legal but unused; a cap keeps a hostile file from exhausting the stack. */
const MAX_ARRAY_DEPTH = 8;
/** name length (8) + n_dims (4) + type (4) + offset (8): the smallest tensor-info record. */
const MIN_TENSOR_INFO_BYTES = 24;
/** key length (8) + value type (4) + a 1-byte value. */
const MIN_KV_BYTES = 13;

/** A tensor of a GGUF file; `shape` is row-major (GGUF's ne[] reversed), `data` views the file where aligned. */
export interface GgufTensor extends HostTensor {
  readonly name: string;
  /** Byte offset of the data inside the file. */
  readonly fileOffset: number;
}

export interface GgufFile {
  readonly version: 2 | 3;
  readonly alignment: number;
  /** Start of the tensor data section inside the file. */
  readonly dataOffset: number;
  readonly metadata: Map<string, GgufValue>;
  readonly tensors: Map<string, GgufTensor>;
}

/** True when `bytes` starts with the GGUF magic. */
export function isGguf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x47 && bytes[1] === 0x47 && bytes[2] === 0x55 && bytes[3] === 0x46;
}

function malformed(r: ByteReader, message: string): never {
  throw new MalformedFileError(`${SOURCE}: ${message} (at byte ${r.pos})`);
}

function readString(r: ByteReader, field: string): string {
  const len = r.u64Safe(`${field} length`);
  return r.utf8(len, field);
}

function readValueType(r: ByteReader, field: string): GgufValueType {
  const id = r.u32(`${field} type`);
  const type = GGUF_VALUE_TYPES[id];
  if (type === undefined) malformed(r, `${field} has unknown value type ${id}`);
  return type;
}

function readItem(r: ByteReader, type: GgufValueType, field: string, depth: number): GgufArrayItem {
  switch (type) {
    case 'u8':
      return r.u8(field);
    case 'i8':
      return r.i8(field);
    case 'u16':
      return r.u16(field);
    case 'i16':
      return r.i16(field);
    case 'u32':
      return r.u32(field);
    case 'i32':
      return r.i32(field);
    case 'f32':
      return r.f32(field);
    case 'f64':
      return r.f64(field);
    case 'u64':
      return r.u64(field);
    case 'i64':
      return r.i64(field);
    case 'bool':
      return r.u8(field) !== 0;
    case 'string':
      return readString(r, field);
    case 'array':
      return readArray(r, field, depth + 1);
    default:
      return type satisfies never;
  }
}

function readArray(r: ByteReader, field: string, depth: number): GgufArray {
  if (depth > MAX_ARRAY_DEPTH) malformed(r, `${field}: arrays nested deeper than ${MAX_ARRAY_DEPTH}`);
  const itemType = readValueType(r, `${field} item`);
  const count = r.u64Safe(`${field} count`);
  if (count > r.remaining / minEncodedSize(itemType)) {
    malformed(r, `${field}: ${count} items of type ${itemType} cannot fit in the ${r.remaining} bytes left`);
  }
  const value: GgufArrayItem[] = new Array<GgufArrayItem>(count);
  for (let i = 0; i < count; i++) value[i] = readItem(r, itemType, field, depth);
  return { type: 'array', itemType, value };
}

function readValue(r: ByteReader, field: string): GgufValue {
  const type = readValueType(r, field);
  if (type === 'array') return readArray(r, field, 1);
  return { type, value: readItem(r, type, field, 0) } as GgufValue;
}

/** Parses a whole GGUF file held in memory. Tensor data are views of `bytes` (copied only when misaligned). */
export function readGguf(bytes: Uint8Array): GgufFile {
  const r = new ByteReader(bytes, SOURCE);
  if (bytes.length < 4 || !isGguf(bytes)) malformed(r, 'no GGUF magic at the start of the file');
  r.pos = 4;
  const version = r.u32('version');
  if (version !== 2 && version !== 3) {
    if (version === 1) throw new UnsupportedModelError(`${SOURCE}: version 1 files are not supported; re-convert to GGUF v3`);
    if (version === 0 || version > 0xffff) {
      // A byte-swapped small number means a big-endian file.
      const swapped = ((version & 0xff) << 24) | ((version >>> 8) & 0xff) << 16 | ((version >>> 16) & 0xff) << 8 | (version >>> 24);
      if (swapped >= 1 && swapped <= 3) throw new UnsupportedModelError(`${SOURCE}: big-endian files are not supported`);
      malformed(r, `version ${version} is not a GGUF version`);
    }
    throw new UnsupportedModelError(`${SOURCE}: version ${version} is not supported (only 2 and 3)`);
  }
  const tensorCount = r.u64Safe('tensor count');
  const kvCount = r.u64Safe('metadata count');
  if (tensorCount > r.remaining / MIN_TENSOR_INFO_BYTES) malformed(r, `tensor count ${tensorCount} cannot fit in a ${bytes.length}-byte file`);
  if (kvCount > r.remaining / MIN_KV_BYTES) malformed(r, `metadata count ${kvCount} cannot fit in a ${bytes.length}-byte file`);

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = readString(r, `metadata key ${i}`);
    if (metadata.has(key)) malformed(r, `duplicate metadata key '${key}'`);
    metadata.set(key, readValue(r, `metadata '${key}'`));
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const alignValue = metadata.get('general.alignment');
  if (alignValue !== undefined) {
    if (alignValue.type !== 'u32' || alignValue.value === 0 || (alignValue.value & (alignValue.value - 1)) !== 0) {
      malformed(r, `general.alignment must be a power-of-two u32, got ${String(alignValue.value)} (${alignValue.type})`);
    }
    alignment = alignValue.value;
  }

  interface Info { name: string; dtype: DType; shape: number[]; offset: number; byteLength: number }
  const infos: Info[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = readString(r, `tensor ${i} name`);
    if (names.has(name)) malformed(r, `duplicate tensor '${name}'`);
    names.add(name);
    const nDims = r.u32(`tensor '${name}' n_dims`);
    if (nDims < 1 || nDims > MAX_DIMS) malformed(r, `tensor '${name}' has ${nDims} dimensions (1..${MAX_DIMS} allowed)`);
    const ne: number[] = [];
    let count = 1;
    for (let d = 0; d < nDims; d++) {
      const n = r.u64Safe(`tensor '${name}' dim ${d}`);
      count *= n;
      // No tensor can hold more values than the file has bits: this also keeps `count` a safe integer.
      if (count > bytes.length * 8) malformed(r, `tensor '${name}' dims [${ne.concat(n).join(', ')}] exceed the file size`);
      ne.push(n);
    }
    const type = r.u32(`tensor '${name}' type`);
    const dtype = dtypeOfGgmlType(type, name);
    const offset = r.u64Safe(`tensor '${name}' offset`);
    const { values, bytes: blockBytes } = blockInfo(dtype);
    if (ne[0] % values !== 0) malformed(r, `tensor '${name}' rows of ${ne[0]} are not whole ${dtype} blocks of ${values}`);
    if (offset % alignment !== 0) malformed(r, `tensor '${name}' offset ${offset} is not a multiple of the alignment ${alignment}`);
    infos.push({ name, dtype, shape: ne.reverse(), offset, byteLength: (count / values) * blockBytes });
  }

  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  const tensors = new Map<string, GgufTensor>();
  for (const t of infos) {
    const start = dataOffset + t.offset;
    if (start + t.byteLength > bytes.length) {
      throw new MalformedFileError(
        `${SOURCE}: tensor '${t.name}' data [${start}, ${start + t.byteLength}) runs past the end of the ${bytes.length}-byte file`,
      );
    }
    const align = t.dtype === 'f32' ? 4 : t.dtype === 'f16' || t.dtype === 'bf16' ? 2 : 1;
    tensors.set(t.name, {
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      data: alignedBytes(bytes, start, t.byteLength, align),
      fileOffset: start,
    });
  }
  return { version, alignment, dataOffset, metadata, tensors };
}
