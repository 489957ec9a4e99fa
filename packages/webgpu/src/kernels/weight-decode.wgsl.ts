// How a kernel reads element (r, k) of a weight matrix with K columns, for every dtype, from the
// weight bound as `w: array<u32>`. Quantised blocks (34 and 18 bytes) are not 4-byte aligned: their
// bytes and halves are extracted from the u32 words that hold them.
import type { DType } from '@kvkit/tensor';
import { F16_BITS } from './kernel.js';

const BYTES = /* wgsl */ `
fn w_byte(off: u32) -> u32 { return (w[off >> 2u] >> ((off & 3u) * 8u)) & 0xffu; }
/** The 16 bits at an even byte offset. */
fn w_half(off: u32) -> u32 { return (w[off >> 2u] >> ((off & 2u) * 8u)) & 0xffffu; }
fn sext8(b: u32) -> f32 { return f32(bitcast<i32>(b << 24u) >> 24u); }
`;

/** WGSL defining `w_at(r, k, K) -> f32` (and its helpers) for weights of `dtype`. */
export function weightDecodeWgsl(dtype: DType): string {
  switch (dtype) {
    case 'f32':
      return `fn w_at(r: u32, k: u32, K: u32) -> f32 { return bitcast<f32>(w[r * K + k]); }\n`;
    case 'f16':
      return `${F16_BITS}${BYTES}
fn w_at(r: u32, k: u32, K: u32) -> f32 { return f16_bits(w_half(2u * (r * K + k))); }\n`;
    case 'bf16':
      return `${BYTES}
fn w_at(r: u32, k: u32, K: u32) -> f32 { return bitcast<f32>(w_half(2u * (r * K + k)) << 16u); }\n`;
    case 'q8_0':
      return `${F16_BITS}${BYTES}
fn w_at(r: u32, k: u32, K: u32) -> f32 {
  let off = (r * (K / 32u) + k / 32u) * 34u;
  return sext8(w_byte(off + 2u + (k % 32u))) * f16_bits(w_half(off));
}\n`;
    case 'q4_0':
      return `${F16_BITS}${BYTES}
fn w_at(r: u32, k: u32, K: u32) -> f32 {
  let off = (r * (K / 32u) + k / 32u) * 18u;
  let j = k % 32u;
  let b = w_byte(off + 2u + (j & 15u));
  let q = select(b & 15u, b >> 4u, j >= 16u);
  return f32(i32(q) - 8) * f16_bits(w_half(off));
}\n`;
    case 'u8':
      return `${BYTES}
fn w_at(r: u32, k: u32, K: u32) -> f32 { return f32(w_byte(r * K + k)); }\n`;
    default:
      return dtype satisfies never;
  }
}
