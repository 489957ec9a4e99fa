// safetensors: an 8-byte little-endian header length, a JSON header naming every tensor's dtype, shape
// and [begin, end) byte range inside the data that follows, then the data. Nothing in the header is
// trusted: ranges are checked against the file, against the dtype and shape, and against each other.
import type { DType, HostTensor } from '@kvkit/tensor';
import { byteSize, numel } from '@kvkit/tensor';
import { MalformedFileError, UnsupportedModelError } from './errors.js';
import { showJson } from './show-json.js';

/** Headers above this are not safetensors files (the format itself caps them at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
const DTYPES: Readonly<Record<string, DType>> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };
const KNOWN = new Set(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2']);

export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, HostTensor>;
  /** The header's `__metadata__` (string to string), empty when absent. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Tensors of a safetensors file as views of `bytes` (copied only where an f32 tensor is not 4-byte aligned). */
export function readSafetensors(bytes: Uint8Array, what = 'safetensors'): SafetensorsFile {
  const bad = (why: string): never => {
    throw new MalformedFileError(`${what}: ${why}`);
  };
  if (bytes.length < 8) bad(`${bytes.length} bytes is too short for the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > bytes.length - 8) {
    bad(`header length ${headerLen} does not fit the ${bytes.length}-byte file`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    bad(`header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('header is not a JSON object');
  const data = bytes.subarray(8 + headerLen);
  const tensors = new Map<string, HostTensor>();
  const ranges: [number, number, string][] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Object.values(entry).some((v) => typeof v !== 'string')) bad('__metadata__ must map strings to strings');
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) bad(`tensor '${name}' has no description`);
    if (typeof e.dtype !== 'string' || !KNOWN.has(e.dtype)) bad(`tensor '${name}' has unknown dtype ${showJson(e.dtype)}`);
    const dtype = DTYPES[e.dtype as string];
    if (!dtype) throw new UnsupportedModelError(`${what}: tensor '${name}' is ${String(e.dtype)}; kvkit reads F32, F16 and BF16`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) bad(`tensor '${name}' has a bad shape ${showJson(e.shape)}`);
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || off.some((o) => !Number.isSafeInteger(o) || o < 0)) bad(`tensor '${name}' has bad data_offsets`);
    const [begin, end] = off as [number, number];
    // In BigInt: a hostile shape's product would overflow a double; say so here rather than fail inside byteSize.
    const count = shape.reduce((a, d) => a * BigInt(d), 1n);
    if (count > BigInt(Number.MAX_SAFE_INTEGER)) bad(`tensor '${name}' shape [${shape.slice(0, 8).join(', ')}${shape.length > 8 ? ', ...' : ''}] has more elements than any file can hold`);
    const size = byteSize(dtype, numel(shape));
    if (end - begin !== size) bad(`tensor '${name}' [${shape.join(', ')}] ${e.dtype} needs ${size} bytes, its range holds ${end - begin}`);
    if (end > data.length) bad(`tensor '${name}' ends at byte ${end} of a ${data.length}-byte data section (truncated?)`);
    ranges.push([begin, end, name]);
    const raw = data.subarray(begin, end);
    const aligned = (data.byteOffset + begin) % (dtype === 'f32' ? 4 : 2) === 0;
    tensors.set(name, { dtype, shape, data: aligned ? raw : raw.slice() });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    const [prevBegin, prevEnd, prev] = ranges[i - 1]!;
    const [begin, end, cur] = ranges[i]!;
    if (begin < prevEnd && end > begin && prevEnd > prevBegin) bad(`tensors '${prev}' and '${cur}' overlap`);
  }
  return { tensors, metadata };
}

/** A safetensors file of f32/f16/bf16 tensors, names sorted (as the reference writer does). */
export function writeSafetensors(tensors: ReadonlyMap<string, HostTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const type = Object.entries(DTYPES).find(([, d]) => d === t.dtype)?.[0];
    if (!type) throw new UnsupportedModelError(`safetensors: cannot write ${t.dtype} tensor '${name}'`);
    header[name] = { dtype: type, shape: [...t.shape], data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = -json.length & 7;
  if (pad) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    out.set(d, at);
    at += d.length;
  }
  return out;
}
