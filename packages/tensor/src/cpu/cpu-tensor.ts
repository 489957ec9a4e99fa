import type { DType } from '../dtype.js';
import { blockInfo, byteSize, numel } from '../dtype.js';
import { DisposedError, InvalidArgumentError, ShapeMismatchError, UnsupportedDTypeError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** CPU storage: the raw bytes, plus an f32 view for f32 tensors. */
export class CpuTensor implements Tensor {
  readonly backend = 'cpu';
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly size: number;
  #bytes: Uint8Array | null;
  #f32: Float32Array | null;

  constructor(dtype: DType, shape: readonly number[], bytes: Uint8Array) {
    this.dtype = dtype;
    this.shape = [...shape];
    this.size = numel(shape);
    const block = blockInfo(dtype).values;
    if (block > 1 && (shape[shape.length - 1] ?? 0) % block !== 0) {
      throw new ShapeMismatchError(`${dtype}[${shape.join(', ')}]: rows must be whole blocks of ${block} values`);
    }
    const need = byteSize(dtype, this.size);
    if (bytes.byteLength !== need) {
      throw new ShapeMismatchError(`${dtype}[${shape.join(', ')}] needs ${need} bytes, got ${bytes.byteLength}`);
    }
    this.#bytes = bytes;
    this.#f32 = dtype === 'f32' ? new Float32Array(bytes.buffer, bytes.byteOffset, this.size) : null;
  }

  get byteLength(): number {
    return this.bytes.byteLength;
  }

  get bytes(): Uint8Array {
    if (!this.#bytes) throw new DisposedError('tensor used after dispose');
    return this.#bytes;
  }

  /** The f32 data; throws for other dtypes (activations are always f32). */
  get f32(): Float32Array {
    if (!this.#f32) {
      if (!this.#bytes) throw new DisposedError('tensor used after dispose');
      throw new UnsupportedDTypeError(`expected an f32 tensor, got ${this.dtype}`);
    }
    return this.#f32;
  }

  dispose(): void {
    this.#bytes = null;
    this.#f32 = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export function asCpu(t: Tensor): CpuTensor {
  if (!(t instanceof CpuTensor)) throw new InvalidArgumentError(`tensor of backend '${t.backend}' passed to the cpu backend`);
  return t;
}

/** Rows and row length of a tensor seen as a matrix over its last dim. */
export function rowsCols(t: Tensor): [number, number] {
  const cols = t.shape[t.shape.length - 1] ?? 1;
  return [cols === 0 ? 0 : numel(t.shape) / cols, cols];
}
