// Pools of GPU buffers by usage and power-of-two size: temporaries (split-attention partials,
// softmax statistics, copy bounces) and readback buffers are reused instead of created per call.
// Dispatches run in order, so a temporary released once its op is recorded can be reused by the
// next op of the same command buffer.

export class BufferPool {
  readonly #device: GPUDevice;
  readonly #free = new Map<string, GPUBuffer[]>();
  readonly #all = new Set<GPUBuffer>();

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  acquire(bytes: number, usage: number, label: string): GPUBuffer {
    const size = bucket(bytes);
    const list = this.#free.get(`${usage}:${size}`);
    const reused = list?.pop();
    if (reused) return reused;
    const buffer = this.#device.createBuffer({ label, size, usage });
    this.#all.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.#free.get(key);
    if (!list) this.#free.set(key, (list = []));
    list.push(buffer);
  }

  /** Bytes held by the pool (in use or free). */
  get bytes(): number {
    let n = 0;
    for (const b of this.#all) n += b.size;
    return n;
  }

  destroy(): void {
    for (const b of this.#all) b.destroy();
    this.#all.clear();
    this.#free.clear();
  }
}

function bucket(bytes: number): number {
  return Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(1, bytes))));
}
