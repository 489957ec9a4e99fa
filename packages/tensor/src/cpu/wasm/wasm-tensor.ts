import type { DType } from '../../dtype.js';
import { blockInfo, byteSize, numel } from '../../dtype.js';
import { DisposedError, InvalidArgumentError, ShapeMismatchError, UnsupportedDTypeError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { CpuTensor } from '../cpu-tensor.js';
import type { Heap } from './heap.js';
import { isRepacked } from './layout.js';

/**
 * Storage in the backend's WebAssembly memory: `ptr` is a byte address there. q8_0/q4_0 are held in
 * the repacked layout of layout.ts (same byte length as GGUF blocks); other dtypes in their encoding.
 */
export class WasmTensor implements Tensor {
  readonly backend: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly size: number;
  readonly byteLength: number;
  #ptr: number;
  #alloc: number;
  #heap: Heap | null;
  #cpu: CpuTensor | undefined;
  #cpuGeneration = -1;

  constructor(backend: string, heap: Heap, dtype: DType, shape: readonly number[]) {
    this.backend = backend;
    this.dtype = dtype;
    this.shape = [...shape];
    this.size = numel(shape);
    const block = blockInfo(dtype).values;
    if (block > 1 && (shape[shape.length - 1] ?? 0) % block !== 0) {
      throw new ShapeMismatchError(`${dtype}[${shape.join(', ')}]: rows must be whole blocks of ${block} values`);
    }
    this.byteLength = byteSize(dtype, this.size);
    const { ptr, size } = heap.alloc(this.byteLength);
    this.#ptr = ptr;
    this.#alloc = size;
    this.#heap = heap;
  }

  get disposed(): boolean {
    return this.#heap === null;
  }

  /** Byte address of the storage. */
  get ptr(): number {
    if (!this.#heap) throw new DisposedError('tensor used after dispose');
    return this.#ptr;
  }

  get heap(): Heap {
    if (!this.#heap) throw new DisposedError('tensor used after dispose');
    return this.#heap;
  }

  /** The raw storage bytes (a view: valid until the memory grows). */
  bytes(): Uint8Array {
    const h = this.heap;
    h.refresh();
    return h.u8.subarray(this.#ptr, this.#ptr + this.byteLength);
  }

  /** Check the tensor is f32 (activations always are). */
  requireF32(): this {
    if (!this.#heap) throw new DisposedError('tensor used after dispose');
    if (this.dtype !== 'f32') throw new UnsupportedDTypeError(`expected an f32 tensor, got ${this.dtype}`);
    return this;
  }

  /** A CpuTensor over the same bytes, for the JS kernels (not for the repacked quantised layout). */
  cpu(): CpuTensor {
    const h = this.heap;
    if (isRepacked(this.dtype)) throw new UnsupportedDTypeError(`cpu-wasm: no CPU view of a repacked ${this.dtype} tensor`);
    h.refresh();
    if (!this.#cpu || this.#cpuGeneration !== h.generation) {
      this.#cpu = new CpuTensor(this.dtype, this.shape, h.u8.subarray(this.#ptr, this.#ptr + this.byteLength));
      this.#cpuGeneration = h.generation;
    }
    return this.#cpu;
  }

  dispose(): void {
    if (!this.#heap) return;
    this.#heap.free(this.#ptr, this.#alloc);
    this.#heap = null;
    this.#cpu = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** `t` as a tensor of the backend that owns `heap` (tensors of another backend instance are refused too). */
export function asWasm(t: Tensor, heap: Heap, backend: string): WasmTensor {
  if (!(t instanceof WasmTensor)) throw new InvalidArgumentError(`tensor of backend '${t.backend}' passed to the ${backend} backend`);
  if (t.heap !== heap) throw new InvalidArgumentError(`tensor of another ${t.backend} backend instance passed to this one`);
  return t;
}
