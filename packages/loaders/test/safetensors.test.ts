import { describe, expect, it } from 'vitest';
import type { HostTensor } from '@kvkit/tensor';
import { decode, encode } from '@kvkit/tensor';
import { MalformedFileError, readSafetensors, UnsupportedModelError, writeSafetensors } from '../src/index.js';
import { randomF32, rng, thrown } from './shared.js';

const f32 = (shape: number[], values: Float32Array): HostTensor => ({ dtype: 'f32', shape, data: new Uint8Array(values.buffer) });

/** A file from a raw header object and data bytes (hand-made, possibly hostile). */
function file(header: unknown, data: Uint8Array, headerLen?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  const next = rng(3);
  const a = f32([3, 4], randomF32(12, next));
  const b = { dtype: 'f16' as const, shape: [5], data: encode('f16', randomF32(5, next)) };
  const c = { dtype: 'bf16' as const, shape: [2, 1], data: encode('bf16', randomF32(2, next)) };

  it('round-trips f32/f16/bf16 tensors and metadata; f32 views stay aligned views of the file', () => {
    const bytes = writeSafetensors(new Map([['b.weight', b], ['a.weight', a], ['c', c]]), { format: 'pt' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    // Sorted names, back-to-back ranges, header padded to 8 bytes as the reference writer does.
    expect(Object.keys(header)).toEqual(['__metadata__', 'a.weight', 'b.weight', 'c']);
    expect(header['a.weight'].data_offsets).toEqual([0, 48]);
    expect(header['b.weight'].data_offsets).toEqual([48, 58]);
    expect(headerLen % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect([...back.tensors.keys()]).toEqual(['a.weight', 'b.weight', 'c']);
    for (const [name, t] of [['a.weight', a], ['b.weight', b], ['c', c]] as const) {
      const got = back.tensors.get(name)!;
      expect([got.dtype, got.shape]).toEqual([t.dtype, t.shape]);
      expect(Array.from(decode(got.dtype, got.data, t.shape.reduce((x, y) => x * y, 1)))).toEqual(Array.from(decode(t.dtype, t.data, t.shape.reduce((x, y) => x * y, 1))));
    }
    expect(back.tensors.get('a.weight')!.data.buffer).toBe(bytes.buffer);
  });

  it('copies an f32 tensor that starts off a 4-byte boundary', () => {
    const data = new Uint8Array(2 + 16);
    data.set(new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer), 2);
    const t = readSafetensors(file({ x: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, y: { dtype: 'F32', shape: [4], data_offsets: [2, 18] } }, data)).tensors.get('y')!;
    expect(Array.from(decode('f32', t.data, 4))).toEqual([1, 2, 3, 4]);
  });

  it('rejects damaged and hostile files with typed errors', () => {
    const d = new Uint8Array(16);
    const ok = { x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } };
    expect(readSafetensors(file(ok, d)).tensors.size).toBe(1);
    const cases: [string, Uint8Array, RegExp][] = [
      ['too short', new Uint8Array(5), /too short/],
      ['header beyond the file', file(ok, d, 10_000), /header length/],
      ['absurd header length', file(ok, d, 2 ** 40), /header length/],
      ['not JSON', file(ok, d).fill(0x7b, 8, 12), /not UTF-8 JSON/],
      ['array header', file([1, 2], d), /not a JSON object/],
      ['unknown dtype', file({ x: { dtype: 'F33', shape: [4], data_offsets: [0, 16] } }, d), /unknown dtype/],
      ['negative dim', file({ x: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, d), /bad shape/],
      ['fractional offset', file({ x: { dtype: 'F32', shape: [4], data_offsets: [0.5, 16] } }, d), /data_offsets/],
      ['size mismatch', file({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, d), /needs 12 bytes/],
      ['truncated data', file({ x: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, d), /truncated/],
      ['overlap', file({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, y: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, d), /overlap/],
      ['bad metadata', file({ __metadata__: { a: 1 }, ...ok }, d), /__metadata__/],
    ];
    for (const [what, bytes, msg] of cases) expect(thrown(() => readSafetensors(bytes), MalformedFileError).message, what).toMatch(msg);
    expect(thrown(() => readSafetensors(file({ x: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, d)), UnsupportedModelError).message).toMatch(/I64/);
  });
});
