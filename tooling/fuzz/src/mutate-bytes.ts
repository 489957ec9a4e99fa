// Byte-level mutations of a binary file, some aimed at the fields its layout names.
import type { Field, Layout } from './layout.js';
import type { Prng } from './prng.js';

/** Values that break size arithmetic: zero, one, powers of two and their neighbours, sign bits, 2^53, all ones. */
const INTERESTING = [
  0n, 1n, 2n, 3n, 7n, 8n, 16n, 31n, 32n, 33n, 63n, 64n, 127n, 128n, 255n, 256n, 1023n, 1024n, 4096n, 65535n, 65536n,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n,
];
/** NaN, ±Inf, -0, the largest and smallest normals, as f32 and f16 bit patterns. */
const F32_BITS = [0x7fc00000, 0x7f800000, 0xff800000, 0x80000000, 0x7f7fffff, 0x00800000, 0x7fffffff, 0xffffffff];
const F16_BITS = [0x7e00, 0x7c00, 0xfc00, 0x8000, 0x7bff, 0x0001, 0xffff];

export type ByteMutation = (bytes: Uint8Array, layout: Layout, rng: Prng) => Uint8Array;

function writeUint(out: Uint8Array, at: number, size: number, v: bigint): void {
  for (let i = 0; i < size && at + i < out.length; i++) out[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}

function readUint(bytes: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

function intValue(bytes: Uint8Array, field: Field, layout: Layout, rng: Prng): bigint {
  const old = readUint(bytes, field.at, field.size);
  const same = layout.fields.filter((f) => f.kind === field.kind && f.size === field.size);
  switch (rng.int(6)) {
    case 0:
      return old + BigInt(rng.int(5)) - 2n;
    case 1:
      return old * 2n + BigInt(rng.int(2));
    case 2:
      return BigInt(bytes.length + rng.int(65) - 32);
    case 3:
      // Another field's value: a second tensor at the same offset, a count equal to another count.
      return same.length ? readUint(bytes, rng.pick(same).at, field.size) : old;
    default:
      return rng.pick(INTERESTING) - (rng.chance(0.2) ? BigInt(rng.int(3)) : 0n);
  }
}

const mask = (size: number): bigint => (1n << BigInt(8 * size)) - 1n;

/** A field of the layout (or any aligned spot) set to a value chosen to break it. */
const setField: ByteMutation = (bytes, layout, rng) => {
  const out = bytes.slice();
  const field: Field = layout.fields.length && rng.chance(0.9)
    ? rng.pick(layout.fields)
    : { at: rng.int(Math.max(1, bytes.length - 8)), size: rng.pick([1, 2, 4, 8] as const), kind: 'int' };
  if (field.kind === 'float') writeUint(out, field.at, field.size, BigInt(rng.pick(F32_BITS)));
  else if (field.kind === 'f16') writeUint(out, field.at, 2, BigInt(rng.pick(F16_BITS)));
  else writeUint(out, field.at, field.size, intValue(bytes, field, layout, rng) & mask(field.size));
  return out;
};

const flipBits: ByteMutation = (bytes, layout, rng) => {
  const out = bytes.slice();
  if (out.length === 0) return out;
  // Most flips land in the header part, where they change meaning rather than a weight.
  const headerEnd = layout.boundaries.length ? Math.max(...layout.boundaries) : out.length;
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) {
    const at = rng.chance(0.8) ? rng.int(Math.min(out.length, headerEnd + 1)) : rng.int(out.length);
    out[at]! ^= 1 << rng.int(8);
  }
  return out;
};

const setByte: ByteMutation = (bytes, _layout, rng) => {
  const out = bytes.slice();
  if (out.length) out[rng.int(out.length)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, 0x22, 0x5c, 0x7b, 0x7d]);
  return out;
};

const truncate: ByteMutation = (bytes, layout, rng) => {
  if (layout.boundaries.length && rng.chance(0.7)) {
    const at = rng.pick(layout.boundaries) + rng.int(9) - 4;
    return bytes.subarray(0, Math.max(0, Math.min(bytes.length, at)));
  }
  return bytes.subarray(0, rng.int(bytes.length + 1));
};

const insertBytes: ByteMutation = (bytes, _layout, rng) => {
  const at = rng.int(bytes.length + 1);
  const n = 1 + rng.int(rng.chance(0.5) ? 8 : 256);
  const out = new Uint8Array(bytes.length + n);
  out.set(bytes.subarray(0, at));
  for (let i = 0; i < n; i++) out[at + i] = rng.chance(0.5) ? 0 : rng.int(256);
  out.set(bytes.subarray(at), at + n);
  return out;
};

const deleteBytes: ByteMutation = (bytes, _layout, rng) => {
  const at = rng.int(bytes.length + 1);
  const n = Math.min(bytes.length - at, 1 + rng.int(rng.chance(0.5) ? 8 : 1024));
  const out = new Uint8Array(bytes.length - n);
  out.set(bytes.subarray(0, at));
  out.set(bytes.subarray(at + n), at);
  return out;
};

/** A copy of one record put in place of another or beside it: duplicated keys, tensors, tokens. */
const duplicateRecord: ByteMutation = (bytes, layout, rng) => {
  if (layout.records.length === 0) return insertBytes(bytes, layout, rng);
  const src = rng.pick(layout.records);
  const same = layout.records.filter((r) => r.kind === src.kind);
  const dst = rng.pick(same);
  const piece = bytes.subarray(src.start, src.end);
  const replace = rng.chance(0.5);
  const cutEnd = replace ? dst.end : dst.start;
  const out = new Uint8Array(dst.start + piece.length + bytes.length - cutEnd);
  out.set(bytes.subarray(0, dst.start));
  out.set(piece, dst.start);
  out.set(bytes.subarray(cutEnd), dst.start + piece.length);
  return out;
};

/** Two records swapped or one dropped: a reader must not rely on their order or number. */
const dropRecord: ByteMutation = (bytes, layout, rng) => {
  if (layout.records.length === 0) return deleteBytes(bytes, layout, rng);
  const r = rng.pick(layout.records);
  const out = new Uint8Array(bytes.length - (r.end - r.start));
  out.set(bytes.subarray(0, r.start));
  out.set(bytes.subarray(r.end), r.start);
  return out;
};

const BYTE_MUTATIONS: readonly [ByteMutation, number][] = [
  [setField, 5],
  [flipBits, 3],
  [setByte, 1],
  [truncate, 2],
  [insertBytes, 1],
  [deleteBytes, 1],
  [duplicateRecord, 2],
  [dropRecord, 1],
];
const TOTAL = BYTE_MUTATIONS.reduce((a, [, w]) => a + w, 0);

/** One to four stacked mutations of `bytes` (never modified in place). */
export function mutateBytes(bytes: Uint8Array, layoutOf: (b: Uint8Array) => Layout, rng: Prng): Uint8Array {
  let out = bytes;
  let layout = layoutOf(bytes);
  const n = 1 + (rng.chance(0.6) ? 0 : rng.int(4));
  for (let i = 0; i < n; i++) {
    let r = rng.int(TOTAL);
    const [mutation] = BYTE_MUTATIONS.find(([, w]) => (r -= w) < 0)!;
    out = mutation(out, layout, rng);
    if (i + 1 < n) layout = layoutOf(out);
  }
  return out;
}
