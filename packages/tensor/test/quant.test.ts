// Q8_0 / Q4_0: byte layout on hand-made blocks, exact error bounds, all-zero blocks, and byte-for-byte
// agreement with a transcription of ggml's quantize_row_q8_0_ref / quantize_row_q4_0_ref.
import { describe, expect, it } from 'vitest';
import {
  decode,
  dequantizeQ4_0,
  dequantizeQ8_0,
  encode,
  f16BitsToF32,
  f32ToF16Bits,
  KvkitError,
  Q4_0_BYTES,
  Q8_0_BYTES,
  quantizeQ4_0,
  quantizeQ8_0,
} from '../src/index.js';

const f = Math.fround;

/** ggml quantize_row_q8_0_ref, every float op rounded to f32 (C: roundf = half away from zero). */
function ggmlQ8_0(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / 32) * 34);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < x.length / 32; i++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[i * 32 + j]!));
    const d = f(amax / 127);
    const id = d !== 0 ? f(1 / d) : 0;
    dv.setUint16(i * 34, f32ToF16Bits(d), true);
    for (let j = 0; j < 32; j++) {
      const x0 = f(x[i * 32 + j]! * id);
      dv.setInt8(i * 34 + 2 + j, x0 < 0 ? -Math.round(-x0) : Math.round(x0));
    }
  }
  return out;
}

/** ggml quantize_row_q4_0_ref: d = max / -8 of the first value with the largest |x|; q = MIN(15, (int8_t)(x*id + 8.5f)). */
function ggmlQ4_0(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / 32) * 18);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < x.length / 32; i++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = x[i * 32 + j]!;
      if (amax < Math.abs(v)) [amax, max] = [Math.abs(v), v];
    }
    const d = f(max / -8);
    const id = d !== 0 ? f(1 / d) : 0;
    dv.setUint16(i * 18, f32ToF16Bits(d), true);
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(15, Math.trunc(f(f(x[i * 32 + j]! * id) + 8.5)));
      const q1 = Math.min(15, Math.trunc(f(f(x[i * 32 + 16 + j]! * id) + 8.5)));
      out[i * 18 + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

/**
 * Random blocks whose scales span 1e-7 (f16 scale subnormal) to 1e4, with outliers; every 8th block
 * holds half-integers with extreme 127 (Q8_0 d = 1) or 8 (Q4_0 d = -1), so x * id hits exact ties.
 */
function testBlocks(nBlocks: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = new Float32Array(nBlocks * 32);
  for (let b = 0; b < nBlocks; b++) {
    const block = x.subarray(b * 32, (b + 1) * 32);
    if (b % 8 === 7) {
      const extreme = b % 16 === 7 ? 127 : 8;
      for (let j = 0; j < 32; j++) block[j] = Math.round((rand() * 2 - 1) * extreme * 2) / 2;
      block[Math.floor(rand() * 32)] = extreme;
      continue;
    }
    const scale = 10 ** (-7 + 11 * rand());
    for (let j = 0; j < 32; j++) block[j] = (rand() * 2 - 1) * scale * (rand() < 0.05 ? 8 : 1);
  }
  return x;
}

/** Index of the first differing byte, or -1 (cheaper to report than a diff of 100 kB). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((v, i) => v !== b[i]);
}

const scaleOf = (bytes: Uint8Array, block: number, blockBytes: number): number => f16BitsToF32(bytes[block * blockBytes]! | (bytes[block * blockBytes + 1]! << 8));

describe('Q8_0', () => {
  it('lays out a hand-made block: f16 scale, then 32 int8, rounding half away from zero', () => {
    const x = new Float32Array(32);
    x.set([127, -127, 0.5, -0.5, 2.5, -2.5, 1.49, -1.51, 0]);
    const bytes = quantizeQ8_0(x);
    expect(bytes.length).toBe(Q8_0_BYTES);
    expect(Array.from(bytes.subarray(0, 11))).toEqual([0x00, 0x3c, 127, 0x81, 1, 0xff, 3, 0xfd, 1, 0xfe, 0]); // d = 1.0 = 0x3c00
    expect(Array.from(dequantizeQ8_0(bytes, 32).subarray(0, 8))).toEqual([127, -127, 1, -1, 3, -3, 1, -2]);
  });

  it('stores all-zero blocks as d = 0 and q = 0, and decodes them to zeros', () => {
    const x = new Float32Array(96);
    x.set([1, -2, 3], 32); // only the middle block is non-zero
    const bytes = quantizeQ8_0(x);
    expect(Array.from(bytes.subarray(0, 34))).toEqual(new Array(34).fill(0));
    expect(Array.from(bytes.subarray(68))).toEqual(new Array(34).fill(0));
    const back = dequantizeQ8_0(bytes, 96);
    expect(Array.from(back.subarray(0, 32))).toEqual(new Array(32).fill(0));
    expect(Array.from(back.subarray(64))).toEqual(new Array(32).fill(0));
  });

  it("matches ggml's reference quantiser byte for byte", () => {
    const x = testBlocks(2000, 1);
    expect(firstDifference(quantizeQ8_0(x), ggmlQ8_0(x))).toBe(-1);
  });

  // q = round(x * id) with id = fl(1/d), d = fl(amax/127), stored as d16 = fp16(d); x^ = q * d16.
  // |x - q d| <= d (1/2 + 127 * 2^-23) (rounding, plus f32 error of x * id with |x * id| <= 127), and
  // |q d - q d16| <= |q| |d - d16| <= 127 |d - d16|. For normal d16, |d - d16| <= 2^-11 d: 0.562 d in all.
  it('keeps |x - x^| <= d/2 + |q| |d - fp16(d)| (+ 127 * 2^-23 d) in every element', () => {
    const x = testBlocks(2000, 2);
    const bytes = quantizeQ8_0(x);
    const back = dequantizeQ8_0(bytes, x.length);
    const q = new Int8Array(bytes.buffer);
    let worst = 0;
    let worstHalf = 0;
    for (let b = 0; b < 2000; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
      const d = f(amax / 127);
      const d16 = scaleOf(bytes, b, 34);
      for (let j = 0; j < 32; j++) {
        const i = b * 32 + j;
        const err = Math.abs(x[i]! - back[i]!);
        const bound = d * (0.5 + 127 * 2 ** -23) + Math.abs(q[b * 34 + 2 + j]!) * Math.abs(d - d16);
        worst = Math.max(worst, err / bound);
        worstHalf = Math.max(worstHalf, Math.abs(x[i]! - q[b * 34 + 2 + j]! * d) / d);
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(worstHalf).toBeGreaterThan(0.49); // the rounding half of the bound is attained
  });
});

describe('Q4_0', () => {
  it('lays out a hand-made block: f16 scale, value j in the low nibble of byte j, j + 16 in the high nibble', () => {
    const x = new Float32Array(32);
    x.set([8, 0, 0.5]); // 8 is the extreme: d = 8 / -8 = -1, id = -1
    x.set([-8, 1, -0.5], 16);
    const bytes = quantizeQ4_0(x);
    expect(bytes.length).toBe(Q4_0_BYTES);
    // q = min(15, trunc(-x + 8.5)): [0, 8, 8 | 15 (16 clamped), 7, 9], others 8.
    expect(Array.from(bytes.subarray(0, 5))).toEqual([0x00, 0xbc, 0xf0, 0x78, 0x98]); // d = -1.0 = 0xbc00
    expect(Array.from(bytes.subarray(5))).toEqual(new Array(13).fill(0x88));
    const back = dequantizeQ4_0(bytes, 32);
    expect([back[0], back[1], back[2], back[16], back[17], back[18]].map((v) => v! + 0)).toEqual([8, 0, 0, -7, 1, -1]); // + 0: (8 - 8) * -1 is -0
  });

  it('takes the scale from the first value of largest magnitude, so d has the opposite sign', () => {
    const x = new Float32Array(32);
    x.set([-3, 1, 3]);
    const bytes = quantizeQ4_0(x);
    expect(scaleOf(bytes, 0, 18)).toBe(0.375); // max = -3: d = -3 / -8
    expect(dequantizeQ4_0(bytes, 32)[2]).toBe(2.625); // 3 / d = 8 -> 16, clamped to 15: (15 - 8) * d
  });

  it('stores all-zero blocks as ggml does (d = -0, q = 8) and decodes them to zeros', () => {
    const bytes = quantizeQ4_0(new Float32Array(32));
    expect(Array.from(bytes)).toEqual([0x00, 0x80, ...new Array(16).fill(0x88)]); // 0 / -8 = -0 in f32
    expect(Array.from(dequantizeQ4_0(bytes, 32)).every((v) => v === 0)).toBe(true);
  });

  it('round-trips values that are already (q - 8) * d exactly', () => {
    const x = Float32Array.from({ length: 64 }, (_, j) => ((j % 16) - 8) * 0.25); // first extreme: -2, d = 0.25
    expect(decode('q4_0', encode('q4_0', x), 64)).toEqual(x);
  });

  it("matches ggml's reference quantiser byte for byte", () => {
    const x = testBlocks(2000, 3);
    expect(firstDifference(quantizeQ4_0(x), ggmlQ4_0(x))).toBe(-1);
  });

  // d = max / -8 (|d| = amax / 8), x * id in [-8, 8]. q = trunc(x * id + 8.5) rounds to nearest:
  // |x - (q - 8) d| <= |d| / 2, except where x * id >= 7.5 (values of the opposite sign to the extreme,
  // |x| >= 15/16 amax): q = 16 is clamped to 15 and the error reaches |d| (x = -max gives exactly |d|).
  // The f16 scale adds |q - 8| |d - fp16(d)| <= 8 |d - fp16(d)|; f32 rounding of x * id + 8.5 adds < 2^-19 |d|.
  it('keeps |x - x^| <= |d|/2 + 8 |d - fp16(d)|, or |d| + 7 |d - fp16(d)| where the clamp applies', () => {
    const x = testBlocks(2000, 4);
    const bytes = quantizeQ4_0(x);
    const back = dequantizeQ4_0(bytes, x.length);
    let worst = 0;
    let worstClamped = 0;
    for (let b = 0; b < 2000; b++) {
      let [amax, max] = [0, 0];
      for (let j = 0; j < 32; j++) if (amax < Math.abs(x[b * 32 + j]!)) [amax, max] = [Math.abs(x[b * 32 + j]!), x[b * 32 + j]!];
      const d = Math.abs(f(max / -8));
      const dErr = Math.abs(d - Math.abs(scaleOf(bytes, b, 18)));
      for (let j = 0; j < 32; j++) {
        const i = b * 32 + j;
        const clamped = x[i]! * Math.sign(-max) * (8 / amax) >= 7.5;
        const err = Math.abs(x[i]! - back[i]!);
        const bound = clamped ? d + 7 * dErr : d / 2 + 8 * dErr;
        worst = Math.max(worst, err / (bound + 2 ** -19 * d));
        if (clamped) worstClamped = Math.max(worstClamped, err / d);
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(worstClamped).toBeGreaterThan(0.5); // the clamp really costs more than half a step
  });
});

describe('block codecs', () => {
  it('refuse a count that is not a whole number of blocks with INVALID_ARGUMENT', () => {
    for (const quantize of [quantizeQ8_0, quantizeQ4_0]) {
      let error: unknown;
      try {
        quantize(new Float32Array(48));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KvkitError);
      expect((error as KvkitError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('decode from bytes at any alignment, like encode/decode of the codec', () => {
    const x = testBlocks(3, 5);
    for (const dtype of ['q8_0', 'q4_0'] as const) {
      const bytes = encode(dtype, x);
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      expect(decode(dtype, shifted.subarray(1), x.length)).toEqual(decode(dtype, bytes, x.length));
    }
  });
});
