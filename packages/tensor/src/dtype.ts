import { InvalidArgumentError, UnsupportedDTypeError } from './errors.js';

/**
 * Storage types. q8_0/q4_0 are GGUF's 32-value blocks (for weights, row-major along the last dim);
 * u8 is raw bytes (packed quantised KV pages, whose layout the cache format describes).
 */
export type DType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'u8';

export const DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'u8'];

/** Values per block and bytes per block of each dtype. */
export function blockInfo(dtype: DType): { values: number; bytes: number } {
  switch (dtype) {
    case 'f32':
      return { values: 1, bytes: 4 };
    case 'f16':
    case 'bf16':
      return { values: 1, bytes: 2 };
    case 'q8_0':
      return { values: 32, bytes: 34 };
    case 'q4_0':
      return { values: 32, bytes: 18 };
    case 'u8':
      return { values: 1, bytes: 1 };
    default:
      throw new UnsupportedDTypeError(`unknown dtype ${String(dtype satisfies never)}`);
  }
}

export function isDType(x: string): x is DType {
  return (DTYPES as readonly string[]).includes(x);
}

/** Bytes taken by `count` values; block dtypes need `count` to be a whole number of blocks. */
export function byteSize(dtype: DType, count: number): number {
  const { values, bytes } = blockInfo(dtype);
  if (!Number.isSafeInteger(count) || count < 0) throw new InvalidArgumentError(`bad element count ${count}`);
  if (count % values !== 0) {
    throw new InvalidArgumentError(`${dtype} needs a multiple of ${values} values, got ${count}`);
  }
  return (count / values) * bytes;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) throw new InvalidArgumentError(`bad dimension ${s} in [${shape.join(', ')}]`);
    n *= s;
  }
  return n;
}
