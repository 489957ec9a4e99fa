// Encoding and decoding of one head-token row of K/V in every KV format (policies.md §10).
import { bf16BitsToF32, f16Table32, f32ToBf16Bits, f32ToF16Bits } from '../../f16.js';
import { int8Layout, kiviCodeBytes, kiviValueGroups } from '../../kv-format.js';

const lut = () => f16Table32();

/** int8 blocks: per block an f16 scale then the codes; scale = amax / 127 rounded to f16, q = round(x / scale). */
export function encodeInt8Row(src: Float32Array, so: number, d: number, dst: Uint8Array, o: number): void {
  const { block, blocks } = int8Layout(d);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  for (let b = 0; b < blocks; b++) {
    const n = Math.min(block, d - b * block);
    let amax = 0;
    for (let c = 0; c < n; c++) amax = Math.max(amax, Math.abs(src[so + b * block + c]!));
    const bits = f32ToF16Bits(amax / 127);
    const scale = lut()[bits]!;
    const at = o + b * (block + 2);
    dv.setUint16(at, bits, true);
    for (let c = 0; c < n; c++) {
      const q = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(src[so + b * block + c]! / scale)));
      dv.setInt8(at + 2 + c, q);
    }
  }
}

export function decodeInt8Row(src: Uint8Array, o: number, d: number, out: Float64Array): void {
  const { block, blocks } = int8Layout(d);
  const t = lut();
  for (let b = 0; b < blocks; b++) {
    const n = Math.min(block, d - b * block);
    const at = o + b * (block + 2);
    const scale = t[src[at]! | (src[at + 1]! << 8)]!;
    for (let c = 0; c < n; c++) out[b * block + c] = ((src[at + 2 + c]! << 24) >> 24) * scale;
  }
}

export function encodeHalfRow(src: Float32Array, so: number, d: number, dst: Uint16Array, o: number, bf16: boolean): void {
  for (let c = 0; c < d; c++) dst[o + c] = bf16 ? f32ToBf16Bits(src[so + c]!) : f32ToF16Bits(src[so + c]!);
}

export function decodeHalfRow(src: Uint16Array, o: number, d: number, out: Float64Array, bf16: boolean): void {
  const t = lut();
  for (let c = 0; c < d; c++) out[c] = bf16 ? bf16BitsToF32(src[o + c]!) : t[src[o + c]!]!;
}

/** Asymmetric min-max parameters of a group, rounded to f16 (what is stored and what decodes). */
export function kiviParams(min: number, max: number, bits: number): { minBits: number; scaleBits: number; min: number; scale: number } {
  const minBits = f32ToF16Bits(min);
  const scaleBits = f32ToF16Bits((max - min) / ((1 << bits) - 1));
  return { minBits, scaleBits, min: lut()[minBits]!, scale: lut()[scaleBits]! };
}

export function kiviCode(x: number, min: number, scale: number, bits: number): number {
  if (scale === 0) return 0;
  return Math.max(0, Math.min((1 << bits) - 1, Math.round((x - min) / scale)));
}

export function setCode(dst: Uint8Array, o: number, c: number, bits: number, q: number): void {
  const bit = c * bits;
  const at = o + (bit >> 3);
  const shift = bit & 7;
  dst[at] = (dst[at]! & ~(((1 << bits) - 1) << shift)) | (q << shift);
}

export function getCode(src: Uint8Array, o: number, c: number, bits: number): number {
  const bit = c * bits;
  return (src[o + (bit >> 3)]! >> (bit & 7)) & ((1 << bits) - 1);
}

/** Value row: codes, then per channel group (f16 scale, f16 min). */
export function decodeKiviValueRow(src: Uint8Array, o: number, d: number, bits: 2 | 4, group: number, out: Float64Array): void {
  const t = lut();
  const g = Math.min(group, d);
  const p = o + kiviCodeBytes(d, bits);
  for (let gi = 0; gi < kiviValueGroups(d, group); gi++) {
    const scale = t[src[p + 4 * gi]! | (src[p + 4 * gi + 1]! << 8)]!;
    const min = t[src[p + 4 * gi + 2]! | (src[p + 4 * gi + 3]! << 8)]!;
    for (let c = gi * g; c < Math.min(d, (gi + 1) * g); c++) out[c] = getCode(src, o, c, bits) * scale + min;
  }
}

/** Key row: codes of this token with the per-channel (scale, min) of its group (`params` at byte `po`). */
export function decodeKiviKeyRow(src: Uint8Array, o: number, params: Uint8Array, po: number, d: number, bits: 2 | 4, out: Float64Array): void {
  const t = lut();
  for (let c = 0; c < d; c++) {
    const scale = t[params[po + 4 * c]! | (params[po + 4 * c + 1]! << 8)]!;
    const min = t[params[po + 4 * c + 2]! | (params[po + 4 * c + 3]! << 8)]!;
    out[c] = getCode(src, o, c, bits) * scale + min;
  }
}
