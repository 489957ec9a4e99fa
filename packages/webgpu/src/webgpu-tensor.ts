import type { DType, Tensor } from '@kvkit/tensor';
import { DisposedError, InvalidArgumentError, numel } from '@kvkit/tensor';
import { DeviceLimitError } from './errors.js';

/** Rows `rowStart ..< rowStart + rows` of a tensor, in one GPU buffer starting at byte 0. */
export interface TensorChunk {
  readonly buffer: GPUBuffer;
  readonly rowStart: number;
  readonly rows: number;
  /** Offset of the chunk in the tensor's bytes. */
  readonly byteStart: number;
  /** Exact bytes of the chunk (the buffer is padded to a multiple of 4). */
  readonly byteLength: number;
}

/**
 * A tensor in GPU memory. Usually one buffer; a weight larger than the device's largest storage
 * binding is split by rows into several (matmul and embed read such weights chunk by chunk).
 */
export class WebGPUTensor implements Tensor {
  readonly backend = 'webgpu';
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly size: number;
  /** Rows and columns of the tensor seen as a matrix over its last dim. */
  readonly rows: number;
  readonly cols: number;
  readonly byteLength: number;
  #chunks: readonly TensorChunk[] | null;
  readonly #release: (chunks: readonly TensorChunk[]) => void;

  constructor(dtype: DType, shape: readonly number[], byteLength: number, chunks: readonly TensorChunk[], release: (chunks: readonly TensorChunk[]) => void) {
    this.dtype = dtype;
    this.shape = [...shape];
    this.size = numel(shape);
    this.cols = shape[shape.length - 1] ?? 1;
    this.rows = this.cols === 0 ? 0 : this.size / this.cols;
    this.byteLength = byteLength;
    this.#chunks = chunks;
    this.#release = release;
  }

  get disposed(): boolean {
    return this.#chunks === null;
  }

  get chunks(): readonly TensorChunk[] {
    if (!this.#chunks) throw new DisposedError('tensor used after dispose');
    return this.#chunks;
  }

  /** The single buffer of an unsplit tensor (activations, caches, norms are never split). */
  get buffer(): GPUBuffer {
    const c = this.chunks;
    if (c.length !== 1) {
      throw new DeviceLimitError(`a ${this.dtype}[${this.shape.join(', ')}] tensor split over ${c.length} buffers can only be a matmul weight or an embedding table`);
    }
    return c[0]!.buffer;
  }

  dispose(): void {
    if (!this.#chunks) return;
    const chunks = this.#chunks;
    this.#chunks = null;
    this.#release(chunks);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export function asWebGPU(t: Tensor): WebGPUTensor {
  if (!(t instanceof WebGPUTensor)) throw new InvalidArgumentError(`tensor of backend '${t.backend}' passed to the webgpu backend`);
  return t;
}
