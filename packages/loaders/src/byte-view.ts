/**
 * `length` bytes of `bytes` from `start`, without a copy when the absolute address is a multiple of `align`
 * (so backends can view f32/f16 data as typed arrays in place), else copied into fresh, aligned memory.
 */
export function alignedBytes(bytes: Uint8Array, start: number, length: number, align: number): Uint8Array {
  const view = bytes.subarray(start, start + length);
  return (bytes.byteOffset + start) % align === 0 ? view : view.slice();
}

/** Byte-wise equality, word-wise when both sides allow it (tied-embedding detection on large tables). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const n = a.length >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, n);
    const wb = new Uint32Array(b.buffer, b.byteOffset, n);
    for (let k = 0; k < n; k++) if (wa[k] !== wb[k]) return false;
    i = n * 4;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
