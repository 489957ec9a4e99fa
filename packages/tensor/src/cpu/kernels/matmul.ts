// out[m, n] = x[m, k] · w[n, k]^T. Weight rows are read sequentially; quantised rows are
// dequantised block by block inside the dot product, never as a whole matrix.
import { f16Table32 } from '../../f16.js';
import { ShapeMismatchError, UnsupportedDTypeError } from '../../errors.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';

export function matmul(out: CpuTensor, x: CpuTensor, w: CpuTensor): void {
  const [m, k] = rowsCols(x);
  const [n, wk] = rowsCols(w);
  const [om, on] = rowsCols(out);
  if (wk !== k || om !== m || on !== n) {
    throw new ShapeMismatchError(`matmul: x[${m}, ${k}] · w[${n}, ${wk}]^T -> out[${om}, ${on}]`);
  }
  const xs = x.f32;
  const o = out.f32;
  switch (w.dtype) {
    case 'f32':
      return matmulF32(o, xs, w.f32, m, n, k);
    case 'f16':
    case 'bf16':
      return matmulHalf(o, xs, w, m, n, k);
    case 'q8_0':
      return matmulQ8_0(o, xs, w.bytes, m, n, k);
    case 'q4_0':
      return matmulQ4_0(o, xs, w.bytes, m, n, k);
    case 'u8':
      throw new UnsupportedDTypeError('matmul: raw u8 tensors are not weights');
    default:
      return w.dtype satisfies never;
  }
}

function matmulF32(o: Float32Array, x: Float32Array, w: Float32Array, m: number, n: number, k: number): void {
  const k4 = k - (k % 4);
  for (let r = 0; r < n; r++) {
    const wo = r * k;
    for (let i = 0; i < m; i++) {
      const xo = i * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = 0;
      for (; j < k4; j += 4) {
        s0 += w[wo + j]! * x[xo + j]!;
        s1 += w[wo + j + 1]! * x[xo + j + 1]!;
        s2 += w[wo + j + 2]! * x[xo + j + 2]!;
        s3 += w[wo + j + 3]! * x[xo + j + 3]!;
      }
      for (; j < k; j++) s0 += w[wo + j]! * x[xo + j]!;
      o[i * n + r] = s0 + s1 + (s2 + s3);
    }
  }
}

function matmulHalf(o: Float32Array, x: Float32Array, w: CpuTensor, m: number, n: number, k: number): void {
  const bits = new Uint16Array(k);
  const row = new Float32Array(k);
  const bytes = w.bytes;
  const lut = f16Table32();
  const bf = w.dtype === 'bf16';
  const u32 = new Uint32Array(1);
  const f32 = new Float32Array(u32.buffer);
  for (let r = 0; r < n; r++) {
    new Uint8Array(bits.buffer).set(bytes.subarray(2 * r * k, 2 * (r + 1) * k));
    for (let j = 0; j < k; j++) {
      if (bf) {
        u32[0] = bits[j]! << 16;
        row[j] = f32[0]!;
      } else row[j] = lut[bits[j]!]!;
    }
    matmulF32Row(o, x, row, m, n, k, r);
  }
}

function matmulF32Row(o: Float32Array, x: Float32Array, row: Float32Array, m: number, n: number, k: number, r: number): void {
  for (let i = 0; i < m; i++) {
    let s = 0;
    const xo = i * k;
    for (let j = 0; j < k; j++) s += row[j]! * x[xo + j]!;
    o[i * n + r] = s;
  }
}

function matmulQ8_0(o: Float32Array, x: Float32Array, bytes: Uint8Array, m: number, n: number, k: number): void {
  const lut = f16Table32();
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nb = k / 32;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < m; i++) {
      const xo = i * k;
      let s = 0;
      let p = r * nb * 34;
      for (let b = 0; b < nb; b++, p += 34) {
        const d = lut[bytes[p]! | (bytes[p + 1]! << 8)]!;
        const xb = xo + b * 32;
        let a0 = 0;
        let a1 = 0;
        for (let j = 0; j < 32; j += 2) {
          a0 += q[p + 2 + j]! * x[xb + j]!;
          a1 += q[p + 3 + j]! * x[xb + j + 1]!;
        }
        s += d * (a0 + a1);
      }
      o[i * n + r] = s;
    }
  }
}

function matmulQ4_0(o: Float32Array, x: Float32Array, bytes: Uint8Array, m: number, n: number, k: number): void {
  const lut = f16Table32();
  const nb = k / 32;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < m; i++) {
      const xo = i * k;
      let s = 0;
      let p = r * nb * 18;
      for (let b = 0; b < nb; b++, p += 18) {
        const d = lut[bytes[p]! | (bytes[p + 1]! << 8)]!;
        const xb = xo + b * 32;
        let a = 0;
        for (let j = 0; j < 16; j++) {
          const byte = bytes[p + 2 + j]!;
          a += ((byte & 15) - 8) * x[xb + j]! + ((byte >> 4) - 8) * x[xb + j + 16]!;
        }
        s += d * a;
      }
      o[i * n + r] = s;
    }
  }
}
