import type { KvFormat } from '../../kv-format.js';
import { int8Layout } from '../../kv-format.js';
import { InvalidArgumentError, ShapeMismatchError, UnsupportedDTypeError } from '../../errors.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';
import { encodeHalfRow, encodeInt8Row } from './kv-codec.js';

/** Token i of KV head h goes to row slots[i * nKvHeads + h], encoded as the rows' format. */
export function kvWrite(k: CpuTensor, v: CpuTensor, slots: Int32Array, newK: CpuTensor, newV: CpuTensor, format?: KvFormat): void {
  const [rows, rowLen] = rowsCols(k);
  const [m, width] = rowsCols(newK);
  const nKv = m === 0 ? 1 : slots.length / m;
  const d = width / nKv;
  const int8 = format?.kind === 'int8';
  const expectRow = int8 ? int8Layout(d).slotBytes : d;
  if (!Number.isInteger(nKv) || !Number.isInteger(d) || newV.size !== newK.size || v.size !== k.size || rowLen !== expectRow) {
    throw new ShapeMismatchError(`kvWrite: rows [${rows}, ${rowLen}], new [${m}, ${width}], ${slots.length} slots`);
  }
  if (int8 !== (k.dtype === 'u8')) throw new UnsupportedDTypeError(`kvWrite: ${k.dtype} rows with format ${format?.kind ?? 'f32'}`);
  const nk = newK.f32;
  const nv = newV.f32;
  for (let i = 0; i < m; i++) {
    for (let h = 0; h < nKv; h++) {
      const s = slots[i * nKv + h]!;
      if (!(s >= 0 && s < rows)) throw new InvalidArgumentError(`kvWrite: slot ${s} outside ${rows} rows`);
      const src = i * width + h * d;
      switch (k.dtype) {
        case 'f32':
          k.f32.set(nk.subarray(src, src + d), s * d);
          v.f32.set(nv.subarray(src, src + d), s * d);
          break;
        case 'f16':
        case 'bf16': {
          const bf = k.dtype === 'bf16';
          encodeHalfRow(nk, src, d, half(k), s * d, bf);
          encodeHalfRow(nv, src, d, half(v), s * d, bf);
          break;
        }
        case 'u8':
          encodeInt8Row(nk, src, d, k.bytes, s * rowLen);
          encodeInt8Row(nv, src, d, v.bytes, s * rowLen);
          break;
        default:
          throw new UnsupportedDTypeError(`kvWrite: ${k.dtype} rows`);
      }
    }
  }
}

export function half(t: CpuTensor): Uint16Array {
  return new Uint16Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength / 2);
}

/** Copy row from[i] to to[i], in order, whatever the row format. */
export function kvMove(k: CpuTensor, v: CpuTensor, from: Int32Array, to: Int32Array): void {
  const [rows] = rowsCols(k);
  if (from.length !== to.length) throw new ShapeMismatchError(`kvMove: ${from.length} sources, ${to.length} targets`);
  for (const t of [k, v]) {
    const rb = t.bytes.byteLength / rows;
    const bytes = t.bytes;
    for (let i = 0; i < from.length; i++) {
      const a = from[i]!;
      const b = to[i]!;
      if (!(a >= 0 && a < rows && b >= 0 && b < rows)) throw new InvalidArgumentError(`kvMove: row outside ${rows} rows`);
      if (a !== b) bytes.copyWithin(b * rb, a * rb, a * rb + rb);
    }
  }
}
