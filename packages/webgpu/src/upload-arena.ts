// Small host data of the ops recorded since the last submit (uniform parameters, token ids, slots,
// page tables, positions, RoPE tables, `write` payloads) packed into one host array and uploaded
// with a single writeBuffer just before the submit. The queue orders that write after earlier
// submits, so one GPU buffer is reused for every batch.
import { BufferUsage } from './gpu-flags.js';

export interface ArenaSlice {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

export class UploadArena {
  readonly #device: GPUDevice;
  readonly #align: number;
  #gpu: GPUBuffer;
  #host: Uint8Array;
  #used = 0;

  constructor(device: GPUDevice, align: number, capacity = 1 << 20) {
    this.#device = device;
    this.#align = align;
    this.#host = new Uint8Array(capacity);
    this.#gpu = this.#create(capacity);
  }

  get used(): number {
    return this.#used;
  }

  /** Whether `sizes` (each aligned) fit in what is left of this batch. */
  fits(sizes: readonly number[]): boolean {
    return this.#used + this.#span(sizes) <= this.#host.byteLength;
  }

  /** Grow to hold `sizes` in an empty batch (call only right after a flush). */
  reserve(sizes: readonly number[]): void {
    const need = this.#span(sizes);
    if (need <= this.#host.byteLength) return;
    const capacity = 2 ** Math.ceil(Math.log2(need));
    this.#gpu.destroy();
    this.#gpu = this.#create(capacity);
    this.#host = new Uint8Array(capacity);
  }

  /** Append bytes (zero-padded to a multiple of 4; at least 4); the caller checked `fits`. */
  push(data: Uint8Array): ArenaSlice {
    const offset = this.#used;
    const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
    this.#host.set(data, offset);
    this.#host.fill(0, offset + data.byteLength, offset + size);
    this.#used = roundUp(offset + size, this.#align);
    return { buffer: this.#gpu, offset, size };
  }

  /** Upload this batch's bytes (before the batch's command buffer is submitted) and start a new batch. */
  upload(queue: GPUQueue): void {
    if (this.#used) queue.writeBuffer(this.#gpu, 0, this.#host.buffer, this.#host.byteOffset, this.#used);
    this.#used = 0;
  }

  destroy(): void {
    this.#gpu.destroy();
  }

  #span(sizes: readonly number[]): number {
    let n = 0;
    for (const s of sizes) n += roundUp(Math.max(4, s), this.#align);
    return n;
  }

  #create(size: number): GPUBuffer {
    return this.#device.createBuffer({
      label: 'kvkit upload arena',
      size,
      usage: BufferUsage.UNIFORM | BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
  }
}

function roundUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
