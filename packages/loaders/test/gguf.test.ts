import { describe, expect, it } from 'vitest';
import type { DType, HostTensor } from '@kvkit/tensor';
import { encode } from '@kvkit/tensor';
import type { GgufValue } from '../src/index.js';
import { MalformedFileError, readGguf, writeGguf } from '../src/index.js';
import { randomF32, rng, shared, thrown } from './shared.js';

const METADATA: [string, GgufValue][] = [
  ['u8', { type: 'u8', value: 255 }],
  ['i8', { type: 'i8', value: -128 }],
  ['u16', { type: 'u16', value: 65535 }],
  ['i16', { type: 'i16', value: -32768 }],
  ['u32', { type: 'u32', value: 4294967295 }],
  ['i32', { type: 'i32', value: -2147483648 }],
  ['f32', { type: 'f32', value: 1.5 }],
  ['f64', { type: 'f64', value: 0.1 }],
  ['u64', { type: 'u64', value: 2n ** 64n - 1n }],
  ['i64', { type: 'i64', value: -(2n ** 63n) }],
  ['bool.true', { type: 'bool', value: true }],
  ['bool.false', { type: 'bool', value: false }],
  ['string', { type: 'string', value: 'héllo ▁wörld 😀' }],
  ['string.empty', { type: 'string', value: '' }],
  ['string.bom', { type: 'string', value: '\uFEFFkeep the BOM' }],
  ['array.empty', { type: 'array', itemType: 'u32', value: [] }],
  ['array.strings', { type: 'array', itemType: 'string', value: ['<s>', '', '▁the'] }],
  ['array.f32', { type: 'array', itemType: 'f32', value: [0, -1, 0.5, -0] }],
  ['array.i64', { type: 'array', itemType: 'i64', value: [-1n, 5n] }],
  ['array.bool', { type: 'array', itemType: 'bool', value: [true, false] }],
  ['array.u8', { type: 'array', itemType: 'u8', value: [0, 1, 255] }],
  [
    'array.nested',
    {
      type: 'array',
      itemType: 'array',
      value: [
        { type: 'array', itemType: 'i16', value: [1, -2] },
        { type: 'array', itemType: 'string', value: ['x'] },
      ],
    },
  ],
];

function tensor(dtype: DType, shape: number[], seed: number): HostTensor {
  const values = randomF32(shape.reduce((a, b) => a * b, 1), rng(seed));
  return { dtype, shape, data: encode(dtype, values) };
}

const TENSORS: [string, HostTensor][] = [
  ['f32.vector', tensor('f32', [5], 1)],
  ['f16.matrix', tensor('f16', [3, 7], 2)],
  ['q8_0.matrix', tensor('q8_0', [4, 64], 3)],
  ['q4_0.3d', tensor('q4_0', [2, 3, 32], 4)],
  ['bf16.4d', tensor('bf16', [2, 1, 3, 5], 5)],
];

describe('GGUF writer -> reader', () => {
  const bytes = writeGguf({ metadata: METADATA, tensors: TENSORS });
  const file = readGguf(bytes);

  it('keeps every metadata value and its type', () => {
    expect(file.version).toBe(3);
    expect([...file.metadata]).toEqual(METADATA);
  });

  it('keeps tensor dtype, row-major shape and bytes, 32-aligned in the file', () => {
    expect([...file.tensors.keys()]).toEqual(TENSORS.map(([n]) => n));
    for (const [name, t] of TENSORS) {
      const got = file.tensors.get(name)!;
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data, name).toEqual(t.data);
      expect(got.fileOffset % 32, name).toBe(0);
    }
    expect(file.dataOffset % 32).toBe(0);
  });

  it('stores dims in GGUF order (ne[0] = row length)', () => {
    const t = file.tensors.get('q4_0.3d')!;
    const dv = new DataView(bytes.buffer);
    // Find the tensor info by its name and read n_dims and the dims after it.
    const name = new TextEncoder().encode('q4_0.3d');
    let at = 0;
    outer: for (; at < bytes.length; at++) {
      for (let i = 0; i < name.length; i++) if (bytes[at + i] !== name[i]) continue outer;
      break;
    }
    at += name.length;
    expect(dv.getUint32(at, true)).toBe(3);
    expect([0, 1, 2].map((d) => Number(dv.getBigUint64(at + 4 + 8 * d, true)))).toEqual([32, 3, 2]);
    expect(t.shape).toEqual([2, 3, 32]);
  });

  it('reads version 2 files the same way', () => {
    const v2 = bytes.slice();
    v2[4] = 2;
    const f = readGguf(v2);
    expect(f.version).toBe(2);
    expect(f.tensors.get('q8_0.matrix')!.data).toEqual(TENSORS[2][1].data);
  });

  it('honours general.alignment', () => {
    const b = writeGguf({ metadata: [['general.alignment', { type: 'u32', value: 64 }]], tensors: TENSORS });
    const f = readGguf(b);
    expect(f.alignment).toBe(64);
    for (const t of f.tensors.values()) expect(t.fileOffset % 64).toBe(0);
  });

  it('gives tensors as views of the file, copies only when misaligned', () => {
    expect(file.tensors.get('f32.vector')!.data.buffer).toBe(bytes.buffer);
    const odd = new Uint8Array(bytes.length + 1).subarray(1);
    odd.set(bytes);
    const t = readGguf(odd).tensors.get('f32.vector')!;
    expect(t.data.byteOffset % 4).toBe(0);
    expect(t.data).toEqual(TENSORS[0][1].data);
  });

  it('writes an empty file that reads back', () => {
    const f = readGguf(writeGguf({}));
    expect(f.metadata.size).toBe(0);
    expect(f.tensors.size).toBe(0);
  });

  it('rejects bad writer input with InvalidArgumentError', () => {
    expect(() => writeGguf({ metadata: [['x', { type: 'u8', value: 256 }]] })).toThrow(/not a u8/);
    expect(() => writeGguf({ metadata: [['x', { type: 'u64', value: -1n }]] })).toThrow(/not a u64/);
    expect(() => writeGguf({ metadata: [['x', { type: 'array', itemType: 'string', value: [1] }]] })).toThrow(/not a string/);
    expect(() => writeGguf({ tensors: [['t', { dtype: 'q8_0', shape: [2, 16], data: new Uint8Array(34) }]] })).toThrow(/blocks/);
    expect(() => writeGguf({ tensors: [['t', { dtype: 'f32', shape: [2], data: new Uint8Array(4) }]] })).toThrow(/bytes of data/);
  });
});

describe('stories260K.gguf', () => {
  it('parses with the documented layout', () => {
    const f = readGguf(shared('stories260K.gguf'));
    expect(f.version).toBe(3);
    expect(f.dataOffset).toBe(14176);
    expect(f.tensors.size).toBe(48);
    expect(f.metadata.get('llama.context_length')).toEqual({ type: 'u32', value: 2048 });
    expect(f.tensors.get('blk.0.ffn_down.weight')!.shape).toEqual([64, 172]);
    expect([...f.tensors.values()].every((t) => t.dtype === 'f32')).toBe(true);
  });

  it('round-trips through the writer byte for byte in content', () => {
    const f = readGguf(shared('stories260K.gguf'));
    const g = readGguf(writeGguf({ metadata: f.metadata, tensors: f.tensors }));
    expect([...g.metadata]).toEqual([...f.metadata]);
    for (const [name, t] of f.tensors) expect(Buffer.compare(g.tensors.get(name)!.data, t.data), name).toBe(0);
  });

  it('rejects duplicate keys as malformed', () => {
    const b = writeGguf({ metadata: [['a', { type: 'u8', value: 1 }], ['b', { type: 'u8', value: 2 }]] });
    b[b.indexOf(0x62, 24)] = 0x61; // rename key "b" to "a"
    thrown(() => readGguf(b), MalformedFileError);
  });
});
