// GGUF Q4_0: blocks of 32 values = f16 scale d + 16 bytes of nibbles; value j in the low nibble of
// byte j, value j+16 in the high nibble; x = (q - 8) * d (ggml's reference quantiser).
import { f16BitsToF32, f32ToF16Bits } from '../f16.js';
import { InvalidArgumentError } from '../errors.js';

export const Q4_0_BLOCK = 32;
export const Q4_0_BYTES = 18;

export function quantizeQ4_0(src: Float32Array): Uint8Array {
  if (src.length % Q4_0_BLOCK) throw new InvalidArgumentError(`Q4_0 needs a multiple of 32 values, got ${src.length}`);
  const nb = src.length / Q4_0_BLOCK;
  const out = new Uint8Array(nb * Q4_0_BYTES);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * Q4_0_BLOCK;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < Q4_0_BLOCK; j++) {
      const v = src[base + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = Math.fround(max / -8);
    const id = d ? Math.fround(1 / d) : 0;
    const o = b * Q4_0_BYTES;
    dv.setUint16(o, f32ToF16Bits(d), true);
    for (let j = 0; j < 16; j++) {
      const x0 = Math.fround(src[base + j]! * id);
      const x1 = Math.fround(src[base + 16 + j]! * id);
      const q0 = Math.min(15, Math.trunc(Math.fround(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(Math.fround(x1 + 8.5)));
      out[o + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

export function dequantizeQ4_0(src: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let b = 0; b < count / Q4_0_BLOCK; b++) {
    const o = b * Q4_0_BYTES;
    const d = f16BitsToF32(dv.getUint16(o, true));
    for (let j = 0; j < 16; j++) {
      const byte = src[o + 2 + j]!;
      out[b * Q4_0_BLOCK + j] = ((byte & 0xf) - 8) * d;
      out[b * Q4_0_BLOCK + j + 16] = ((byte >> 4) - 8) * d;
    }
  }
  return out;
}
