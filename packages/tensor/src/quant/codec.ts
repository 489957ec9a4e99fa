// Encode/decode any dtype to and from float32 (host side: loaders, tests, quantising a model).
import type { DType } from '../dtype.js';
import { byteSize } from '../dtype.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../f16.js';
import { dequantizeQ4_0, quantizeQ4_0 } from './q4_0.js';
import { dequantizeQ8_0, quantizeQ8_0 } from './q8_0.js';

export function encode(dtype: DType, values: Float32Array): Uint8Array {
  switch (dtype) {
    case 'f32':
      return new Uint8Array(values.slice().buffer);
    case 'f16':
    case 'bf16': {
      const out = new Uint16Array(values.length);
      const conv = dtype === 'f16' ? f32ToF16Bits : f32ToBf16Bits;
      for (let i = 0; i < values.length; i++) out[i] = conv(values[i]!);
      return new Uint8Array(out.buffer);
    }
    case 'q8_0':
      return quantizeQ8_0(values);
    case 'q4_0':
      return quantizeQ4_0(values);
    case 'u8':
      return Uint8Array.from(values);
    default:
      return dtype satisfies never;
  }
}

/** Decode `count` values of `dtype` stored in `bytes` (little-endian, any alignment). */
export function decode(dtype: DType, bytes: Uint8Array, count: number): Float32Array {
  const need = byteSize(dtype, count);
  const src = bytes.subarray(0, need);
  switch (dtype) {
    case 'f32': {
      const out = new Float32Array(count);
      new Uint8Array(out.buffer).set(src);
      return out;
    }
    case 'f16':
    case 'bf16': {
      const out = new Float32Array(count);
      const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
      const conv = dtype === 'f16' ? f16BitsToF32 : bf16BitsToF32;
      for (let i = 0; i < count; i++) out[i] = conv(dv.getUint16(2 * i, true));
      return out;
    }
    case 'q8_0':
      return dequantizeQ8_0(src, count);
    case 'q4_0':
      return dequantizeQ4_0(src, count);
    case 'u8':
      return Float32Array.from(src);
    default:
      return dtype satisfies never;
  }
}
