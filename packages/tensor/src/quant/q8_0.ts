// GGUF Q8_0: blocks of 32 values = f16 scale d + 32 int8, x = q * d (ggml's reference quantiser).
import { f16BitsToF32, f32ToF16Bits } from '../f16.js';
import { InvalidArgumentError } from '../errors.js';

export const Q8_0_BLOCK = 32;
export const Q8_0_BYTES = 34;

export function quantizeQ8_0(src: Float32Array): Uint8Array {
  if (src.length % Q8_0_BLOCK) throw new InvalidArgumentError(`Q8_0 needs a multiple of 32 values, got ${src.length}`);
  const nb = src.length / Q8_0_BLOCK;
  const out = new Uint8Array(nb * Q8_0_BYTES);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(src[base + j]!));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    const o = b * Q8_0_BYTES;
    dv.setUint16(o, f32ToF16Bits(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const v = Math.fround(src[base + j]! * id);
      dv.setInt8(o + 2 + j, Math.sign(v) * Math.round(Math.abs(v))); // roundf: half away from zero
    }
  }
  return out;
}

export function dequantizeQ8_0(src: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let b = 0; b < count / Q8_0_BLOCK; b++) {
    const o = b * Q8_0_BYTES;
    const d = f16BitsToF32(dv.getUint16(o, true));
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b * Q8_0_BLOCK + j] = dv.getInt8(o + 2 + j) * d;
  }
  return out;
}
