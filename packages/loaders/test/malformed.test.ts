// Hostile and damaged files: every failure must be a typed KvkitError, found before any big allocation.
import { describe, expect, it } from 'vitest';
import { KvkitError } from '@kvkit/tensor';
import type { AllocationRecord } from '@kvkit/fuzz';
import { ALLOCATION_SLACK, measureAllocationsSync } from '@kvkit/fuzz';
import { MalformedFileError, UnsupportedModelError, readGguf, readLlama2c, readLlamaGguf, readModel } from '../src/index.js';
import { shared, thrown } from './shared.js';

/** Little-endian bytes from a list of typed fields (hand-made GGUF files). */
type Field = ['u32', number] | ['u64', bigint] | ['str', string] | ['raw', number[]];
function build(fields: Field[]): Uint8Array {
  const parts: number[] = [];
  const dv = new DataView(new ArrayBuffer(8));
  for (const [kind, v] of fields) {
    if (kind === 'u32') {
      dv.setUint32(0, v, true);
      parts.push(...new Uint8Array(dv.buffer, 0, 4));
    } else if (kind === 'u64') {
      dv.setBigUint64(0, v, true);
      parts.push(...new Uint8Array(dv.buffer, 0, 8));
    } else if (kind === 'str') {
      const b = new TextEncoder().encode(v);
      dv.setBigUint64(0, BigInt(b.length), true);
      parts.push(...new Uint8Array(dv.buffer, 0, 8), ...b);
    } else parts.push(...v);
  }
  return Uint8Array.from(parts);
}

const MAGIC: Field = ['raw', [0x47, 0x47, 0x55, 0x46]];
const header = (tensors: bigint, kvs: bigint): Field[] => [MAGIC, ['u32', 3], ['u64', tensors], ['u64', kvs]];
/** One f32 tensor info: name, dims (GGUF order), type, offset. */
const info = (name: string, dims: bigint[], type: number, offset: bigint): Field[] => [
  ['str', name],
  ['u32', dims.length],
  ...dims.map((d): Field => ['u64', d]),
  ['u32', type],
  ['u64', offset],
];
const padded = (b: Uint8Array, extra: number): Uint8Array => {
  const out = new Uint8Array(Math.ceil(b.length / 32) * 32 + extra);
  out.set(b);
  return out;
};

/** The typed error, found before any allocation larger than the input (plus the fuzzer's fixed slack). */
function expectMalformed(bytes: Uint8Array, read: (b: Uint8Array) => unknown = readGguf): MalformedFileError {
  const record: AllocationRecord = { bytes: 0, arrayLength: 0 };
  const e = thrown(() => measureAllocationsSync(() => read(bytes), record), MalformedFileError);
  expect(Math.max(record.bytes, record.arrayLength)).toBeLessThanOrEqual(bytes.length + ALLOCATION_SLACK);
  return e;
}

describe('GGUF header and metadata', () => {
  it('wrong magic, empty file, unsupported versions', () => {
    expectMalformed(new Uint8Array(0));
    expectMalformed(build([['raw', [0x47, 0x47, 0x55, 0x47]], ['u32', 3], ['u64', 0n], ['u64', 0n]]));
    expectMalformed(build([MAGIC, ['u32', 0], ['u64', 0n], ['u64', 0n]]));
    thrown(() => readGguf(build([MAGIC, ['u32', 1], ['u64', 0n], ['u64', 0n]])), UnsupportedModelError);
    thrown(() => readGguf(build([MAGIC, ['u32', 4], ['u64', 0n], ['u64', 0n]])), UnsupportedModelError);
    const bigEndian = thrown(() => readGguf(build([MAGIC, ['raw', [0, 0, 0, 3]], ['u64', 0n], ['u64', 0n]])), UnsupportedModelError);
    expect(bigEndian.message).toMatch(/big-endian/);
  });

  it('huge tensor and metadata counts', () => {
    expectMalformed(build(header(1n << 40n, 0n)));
    expectMalformed(build(header(0n, 1n << 40n)));
    expectMalformed(build(header(2n ** 64n - 1n, 0n)));
    expectMalformed(build(header(0n, 2n ** 63n)));
  });

  it('huge string length and array count', () => {
    expectMalformed(build([...header(0n, 1n), ['u64', 1n << 40n], ['raw', [0x61]]]));
    expectMalformed(build([...header(0n, 1n), ['str', 'k'], ['u32', 8], ['u64', 1n << 40n]]));
    expectMalformed(build([...header(0n, 1n), ['str', 'k'], ['u32', 9], ['u32', 0], ['u64', 1n << 40n], ['raw', [0, 0, 0, 0]]]));
    // 1000 strings claimed, room for 1 at most
    expectMalformed(build([...header(0n, 1n), ['str', 'k'], ['u32', 9], ['u32', 8], ['u64', 1000n], ['str', 'x']]));
    expectMalformed(build([...header(0n, 1n), ['str', 'k'], ['u32', 9], ['u32', 10], ['u64', 2n], ['u64', 7n]]));
  });

  it('unknown value types, deep nesting and a bad alignment', () => {
    expectMalformed(build([...header(0n, 1n), ['str', 'k'], ['u32', 13], ['u32', 0]]));
    expectMalformed(build([...header(0n, 1n), ['str', 'k'], ['u32', 9], ['u32', 99], ['u64', 0n]]));
    const nest: Field[] = [];
    for (let i = 0; i < 100; i++) nest.push(['u32', 9], ['u64', 1n]);
    expectMalformed(build([...header(0n, 1n), ['str', 'k'], ['u32', 9], ...nest, ['u32', 0], ['u64', 0n]]));
    expectMalformed(build([...header(0n, 1n), ['str', 'general.alignment'], ['u32', 4], ['u32', 24]]));
    expectMalformed(build([...header(0n, 1n), ['str', 'general.alignment'], ['u32', 10], ['u64', 32n]]));
  });
});

describe('GGUF tensor infos and data', () => {
  const one = (dims: bigint[], type: number, offset: bigint, dataBytes: number): Uint8Array =>
    padded(build([...header(1n, 0n), ...info('t', dims, type, offset)]), dataBytes);

  it('accepts a well-formed hand-made file', () => {
    const f = readGguf(one([4n, 2n], 0, 0n, 32));
    expect(f.tensors.get('t')!.shape).toEqual([2, 4]);
  });

  it('huge dims, too many dims, data past the end, misaligned offsets', () => {
    expectMalformed(one([1n << 40n, 1n << 40n], 0, 0n, 32));
    expectMalformed(one([2n ** 64n - 1n], 0, 0n, 32));
    expectMalformed(one([1n << 20n], 0, 0n, 32));
    expectMalformed(one([1n, 1n, 1n, 1n, 1n], 0, 0n, 32));
    expectMalformed(one([4n, 2n], 0, 32n, 32));
    expectMalformed(one([4n, 2n], 0, 2n ** 60n, 32));
    expectMalformed(one([4n, 2n], 0, 4n, 64));
    expectMalformed(one([16n, 1n], 8, 0n, 64)); // Q8_0 rows must be whole blocks of 32
  });

  it('unknown and unsupported ggml types name the type', () => {
    expect(thrown(() => readGguf(one([256n], 12, 0n, 256)), UnsupportedModelError).message).toMatch(/Q4_K/);
    expect(thrown(() => readGguf(one([4n], 1234, 0n, 32)), UnsupportedModelError).message).toMatch(/1234/);
  });

  it('duplicate tensor names', () => {
    const b = padded(build([...header(2n, 0n), ...info('t', [4n], 0, 0n), ...info('t', [4n], 0, 32n)]), 64);
    expectMalformed(b);
  });
});

/** Cut points: every byte of the first `dense` bytes, then a stride through the header, then `extra`. */
function cutPoints(length: number, dense: number, headerEnd: number, stride: number, extra: number[]): number[] {
  const cuts = new Set<number>();
  for (let i = 0; i < dense; i++) cuts.add(i);
  for (let i = dense; i < headerEnd; i += stride) cuts.add(i);
  for (let k = 1; k <= 50; k++) cuts.add(Math.floor((length * k) / 51));
  for (const e of extra) if (e >= 0 && e < length) cuts.add(e);
  return [...cuts].filter((c) => c < length);
}

/** Each cut must throw a KvkitError that is a MalformedFileError; collects the cut points that did not. */
function failingCuts(bytes: Uint8Array, cuts: number[], read: (b: Uint8Array) => unknown): string[] {
  const bad: string[] = [];
  for (const c of cuts) {
    try {
      read(bytes.subarray(0, c));
      bad.push(`${c}: no error`);
    } catch (e) {
      if (!(e instanceof MalformedFileError && e instanceof KvkitError)) bad.push(`${c}: ${String(e)}`);
    }
  }
  return bad;
}

describe('truncated real files', () => {
  it('stories260K.gguf cut anywhere in the header and at 50 points of the data', () => {
    const bytes = shared('stories260K.gguf');
    const f = readGguf(bytes);
    const boundaries = [...f.tensors.values()].flatMap((t) => [t.fileOffset, t.fileOffset + 1, t.fileOffset + t.data.length - 1]);
    const cuts = cutPoints(bytes.length, 64, f.dataOffset + 1, 5, [...boundaries, f.dataOffset - 1, f.dataOffset, bytes.length - 1]);
    expect(cuts.length).toBeGreaterThan(2900);
    expect(failingCuts(bytes, cuts, readGguf)).toEqual([]);
    expect(failingCuts(bytes, cuts.filter((_, i) => i % 10 === 0), readLlamaGguf)).toEqual([]);
  });

  it('stories260K.bin cut at every header byte and at every section boundary', () => {
    const bytes = shared('stories260K.bin');
    const { weights } = readLlama2c(bytes);
    const tensors = [weights.tokenEmbedding, weights.finalNorm, ...weights.layers.flatMap((l) => Object.values(l))];
    const boundaries = tensors.flatMap((t) => [t.data.byteOffset - 1, t.data.byteOffset, t.data.byteOffset + t.data.length]);
    const cuts = cutPoints(bytes.length, 29, 29, 1, [...boundaries, bytes.length - 4, bytes.length - 1]);
    expect(failingCuts(bytes, cuts, readLlama2c)).toEqual([]);
    expect(failingCuts(bytes, cuts, (b) => readModel(b))).toEqual([]);
  });

  it('stories260K.gguf with a flipped tensor type or an offset moved past the end', () => {
    const bytes = shared('stories260K.gguf').slice();
    const f = readGguf(bytes);
    const name = new TextEncoder().encode('blk.4.ffn_norm.weight');
    let at = bytes.lastIndexOf(name[0], f.dataOffset);
    while (!name.every((c, i) => bytes[at + i] === c)) at = bytes.lastIndexOf(name[0], at - 1);
    const typeAt = at + name.length + 4 + 8; // n_dims (4), one dim (8)
    const dv = new DataView(bytes.buffer);
    dv.setBigUint64(typeAt + 4, 2n ** 40n, true);
    expectMalformed(bytes);
    dv.setBigUint64(typeAt + 4, BigInt(bytes.length), true);
    expectMalformed(bytes);
    dv.setBigUint64(typeAt + 4, 1170944n + 4n, true); // misaligned
    expectMalformed(bytes);
    dv.setUint32(typeAt, 14, true); // Q6_K
    expect(thrown(() => readGguf(bytes), UnsupportedModelError).message).toMatch(/Q6_K.*blk\.4\.ffn_norm\.weight|blk\.4\.ffn_norm\.weight.*Q6_K/);
  });
});
