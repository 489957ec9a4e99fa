// Kernel-friendly layout of quantised weights. GGUF interleaves each block's f16 scale with its codes
// (34-byte Q8_0 blocks, 18-byte Q4_0 blocks), which puts most vector loads off 16-byte boundaries. At
// upload the blocks are split in place into two arrays of the same total size: all codes (32 bytes
// per Q8_0 block, 16 per Q4_0 block, in block order, so row r starts at r * rowCodeBytes), then all
// f16 scales (2 bytes per block). `toGguf` restores the original bytes for `read`.
import type { DType } from '../../dtype.js';

export type RepackedDType = 'q8_0' | 'q4_0';

export function isRepacked(dtype: DType): dtype is RepackedDType {
  return dtype === 'q8_0' || dtype === 'q4_0';
}

/** Code bytes per 32-value block. */
export function codeBytes(dtype: RepackedDType): number {
  return dtype === 'q8_0' ? 32 : 16;
}

/** Byte offset of the scales array in a repacked tensor of `blocks` blocks. */
export function scalesOffset(dtype: RepackedDType, blocks: number): number {
  return blocks * codeBytes(dtype);
}

/** GGUF blocks in `src` -> repacked bytes written into `dst` (same length). */
export function repack(dtype: RepackedDType, src: Uint8Array, dst: Uint8Array): void {
  const cb = codeBytes(dtype);
  const bb = cb + 2;
  const blocks = src.byteLength / bb;
  const so = scalesOffset(dtype, blocks);
  for (let b = 0, p = 0; b < blocks; b++, p += bb) {
    dst[so + 2 * b] = src[p]!;
    dst[so + 2 * b + 1] = src[p + 1]!;
    dst.set(src.subarray(p + 2, p + bb), b * cb);
  }
}

/** Repacked bytes -> GGUF blocks. */
export function toGguf(dtype: RepackedDType, src: Uint8Array): Uint8Array {
  const cb = codeBytes(dtype);
  const bb = cb + 2;
  const blocks = src.byteLength / bb;
  const so = scalesOffset(dtype, blocks);
  const out = new Uint8Array(src.byteLength);
  for (let b = 0, p = 0; b < blocks; b++, p += bb) {
    out[p] = src[so + 2 * b]!;
    out[p + 1] = src[so + 2 * b + 1]!;
    out.set(src.subarray(b * cb, (b + 1) * cb), p + 2);
  }
  return out;
}
