// Exhaustive checks of the binary16 / bfloat16 conversions against an independent float64
// reference: decode by formula, encode by picking the nearest neighbour (ties to even bits).
import { describe, expect, it } from 'vitest';
import { bf16BitsToF32, f16BitsToF32, f16Table32, f32ToBf16Bits, f32ToF16Bits } from '../src/index.js';

const F16_MAX_FINITE = 0x7bff;

/** binary16 bits -> value, by the IEEE-754 formula. */
function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (e === 0 ? m * 2 ** -24 : 2 ** (e - 15) * (1 + m / 1024));
}

/** bfloat16 bits -> value, by the formula (8 exponent bits, 7 mantissa bits). */
function bf16Value(b: number): number {
  const sign = b & 0x8000 ? -1 : 1;
  const e = (b >> 7) & 0xff;
  const m = b & 0x7f;
  if (e === 0xff) return m ? NaN : sign * Infinity;
  return sign * (e === 0 ? m * 2 ** -133 : 2 ** (e - 127) * (1 + m / 128));
}

/** Non-negative finite f16 values in bit order (bit order is value order), then the next power past max. */
const ladder = Array.from({ length: F16_MAX_FINITE + 1 }, (_, h) => f16Value(h));
ladder.push(2 ** 16); // where 0x7c00 would sit if the exponent went on: overflow rounds like this neighbour

/** Reference f16 rounding: nearest neighbour on the ladder, ties to the even bit pattern; past max -> inf. */
function refF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 2 ** 16) return sign | 0x7c00;
  let lo = 0;
  let hi = ladder.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ladder[mid]! <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - ladder[lo]!;
  const dHi = ladder[hi]! - a;
  const bits = dLo < dHi || (dLo === dHi && lo % 2 === 0) ? lo : hi;
  return sign | bits; // hi = 0x7c00 is inf
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The f32 values just below and just above x (x a finite non-zero f32 value). */
function f32Neighbours(x: number): [number, number] {
  f32[0] = x;
  const bits = u32[0]!;
  u32[0] = bits - 1;
  const a = f32[0]!;
  u32[0] = bits + 1;
  return x > 0 ? [a, f32[0]!] : [f32[0]!, a];
}

/** Collects mismatches (the first few) so that exhaustive loops call `expect` once. */
class Mismatches {
  readonly list: string[] = [];
  check(ok: boolean, what: () => string): void {
    if (!ok && this.list.length < 10) this.list.push(what());
  }
}
const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const hex = (x: number): string => `0x${x.toString(16)}`;

function expectNaNBits16(h: number, exponentMask: number): void {
  expect(h & exponentMask).toBe(exponentMask);
  expect(h & (0xffff & ~exponentMask & 0x7fff)).not.toBe(0);
}

describe('f16BitsToF32', () => {
  it('decodes all 65536 bit patterns', () => {
    const table = f16Table32();
    const bad = new Mismatches();
    for (let h = 0; h < 65536; h++) {
      const want = f16Value(h);
      bad.check(same(f16BitsToF32(h), want), () => `f16BitsToF32(${hex(h)}) = ${f16BitsToF32(h)}, want ${want}`);
      bad.check(same(table[h]!, want), () => `f16Table32()[${hex(h)}] = ${table[h]}, want ${want}`);
    }
    expect(bad.list).toEqual([]);
  });
});

describe('f32ToF16Bits', () => {
  it('round-trips every f16 value, +-0, subnormals and infinities', () => {
    const bad = new Mismatches();
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaN
      const got = f32ToF16Bits(f16Value(h));
      bad.check(got === h, () => `f32ToF16Bits(${f16Value(h)}) = ${hex(got)}, want ${hex(h)}`);
    }
    expect(bad.list).toEqual([]);
  });

  it('rounds every midpoint between neighbours to even, and the f32 values beside it to the nearer side', () => {
    const bad = new Mismatches();
    let checked = 0;
    for (let h = 0; h < F16_MAX_FINITE + 1; h++) {
      const mid = (ladder[h]! + ladder[h + 1]!) / 2; // exact in f32: one more bit than f16
      bad.check(Math.fround(mid) === mid, () => `midpoint ${mid} is not an f32`);
      for (const sign of [1, -1]) {
        const x = sign * mid;
        for (const v of [x, ...f32Neighbours(x)]) {
          const [got, want] = [f32ToF16Bits(v), refF16Bits(v)];
          bad.check(got === want, () => `f32ToF16Bits(${v}) = ${hex(got)}, want ${hex(want)}`);
          checked++;
        }
      }
    }
    expect(bad.list).toEqual([]);
    expect(checked).toBe(6 * (F16_MAX_FINITE + 1));
  });

  it('handles the edges: below half the smallest subnormal, overflow, NaN and -0', () => {
    const cases: [number, number][] = [
      [2 ** -25, 0x0000], // half the smallest subnormal: tie to even (zero)
      [Math.fround(2 ** -25 * (1 + 2 ** -23)), 0x0001],
      [2 ** -26, 0x0000],
      [-(2 ** -25), 0x8000],
      [1e-45, 0x0000], // f32 subnormal
      [65504, 0x7bff],
      [65519, 0x7bff],
      [65520, 0x7c00], // tie between max (odd) and inf: inf
      [1e5, 0x7c00],
      [3.4e38, 0x7c00],
      [-1e5, 0xfc00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [-0, 0x8000],
      [0, 0x0000],
    ];
    for (const [x, bits] of cases) expect(f32ToF16Bits(x), `${x}`).toBe(bits);
    for (const bits of [0x7fc00000, 0xffc00000, 0x7f800001, 0x7fffffff]) {
      u32[0] = bits;
      const h = f32ToF16Bits(f32[0]!);
      expectNaNBits16(h, 0x7c00);
      expect(h & 0x8000).toBe((bits >>> 16) & 0x8000);
    }
  });
});

describe('bfloat16', () => {
  it('decodes all 65536 bit patterns', () => {
    const bad = new Mismatches();
    for (let b = 0; b < 65536; b++) {
      const [got, want] = [bf16BitsToF32(b), bf16Value(b)];
      bad.check(same(got, want), () => `bf16BitsToF32(${hex(b)}) = ${got}, want ${want}`);
    }
    expect(bad.list).toEqual([]);
  });

  it('round-trips every value and rounds every midpoint (and its f32 neighbours) to nearest, ties to even', () => {
    const bad = new Mismatches();
    const check = (x: number, want: number): void => {
      const got = f32ToBf16Bits(x);
      bad.check(got === want, () => `f32ToBf16Bits(${x}) = ${hex(got)}, want ${hex(want)}`);
    };
    for (let b = 0; b < 65536; b++) {
      if ((b & 0x7f80) === 0x7f80) continue; // inf and NaN: no upper neighbour
      const up = b + 1; // next bfloat16 away from zero; 0x7f7f + 1 is inf
      check(bf16Value(b), b);
      for (const [low, want] of [
        [0x8000, b % 2 === 0 ? b : up], // exactly halfway between b and up
        [0x7fff, b],
        [0x8001, up],
      ] as const) {
        u32[0] = (b << 16) | low;
        check(f32[0]!, want);
      }
    }
    expect(bad.list).toEqual([]);
  });

  it('keeps NaN a NaN, including payloads only in the low 16 bits, and its sign', () => {
    for (const bits of [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7f80ffff, 0x7fffffff]) {
      u32[0] = bits;
      const b = f32ToBf16Bits(f32[0]!);
      expectNaNBits16(b, 0x7f80);
      expect(b & 0x8000).toBe((bits >>> 16) & 0x8000);
    }
    expect(f32ToBf16Bits(-0)).toBe(0x8000);
    expect(f32ToBf16Bits(Infinity)).toBe(0x7f80);
    expect(f32ToBf16Bits(-Infinity)).toBe(0xff80);
  });
});
