// The backend's one WasmMemory: a first-fit allocator with coalescing over it, and typed views
// that are rebuilt whenever the memory grows (growth detaches a plain ArrayBuffer and replaces the
// SharedArrayBuffer object of a shared memory).
import { InvalidArgumentError } from '../../errors.js';
import type { WasmMemory } from './wasm-api.js';

export const PAGE = 65536;
export const ALIGN = 64;

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

export class Heap {
  readonly memory: WasmMemory;
  readonly maximumPages: number;
  #buffer: ArrayBuffer | SharedArrayBuffer;
  u8: Uint8Array;
  f32: Float32Array;
  i32: Int32Array;
  /** Bumped each time the views are rebuilt, so cached per-tensor views know they are stale. */
  generation = 0;
  /** End of the allocated region; everything above is free. */
  #top: number;
  /** Everything at or above this address has never been handed out: still zero. */
  #dirty: number;
  /** Free blocks below `top`, sorted by address: [start, size] pairs. */
  readonly #free: [number, number][] = [];
  #live = 0;

  constructor(memory: WasmMemory, maximumPages: number, base: number) {
    this.memory = memory;
    this.maximumPages = maximumPages;
    this.#top = roundUp(base, ALIGN);
    this.#dirty = this.#top;
    this.#buffer = memory.buffer;
    this.u8 = new Uint8Array(this.#buffer);
    this.f32 = new Float32Array(this.#buffer);
    this.i32 = new Int32Array(this.#buffer);
  }

  /** Rebuild the views if the memory grew (cheap identity check; call before using them). */
  refresh(): void {
    const b = this.memory.buffer;
    if (b === this.#buffer) return;
    this.#buffer = b;
    this.u8 = new Uint8Array(b);
    this.f32 = new Float32Array(b);
    this.i32 = new Int32Array(b);
    this.generation++;
  }

  get buffer(): ArrayBuffer | SharedArrayBuffer {
    this.refresh();
    return this.#buffer;
  }

  /** Bytes in live allocations and the high-water mark of the heap. */
  get stats(): { live: number; top: number; memory: number } {
    return { live: this.#live, top: this.#top, memory: this.memory.buffer.byteLength };
  }

  /** A zero-filled block of at least `bytes` bytes, 64-byte aligned. */
  alloc(bytes: number): { ptr: number; size: number } {
    const size = Math.max(ALIGN, roundUp(bytes, ALIGN));
    for (let i = 0; i < this.#free.length; i++) {
      const blk = this.#free[i]!;
      if (blk[1] < size) continue;
      const ptr = blk[0];
      if (blk[1] === size) this.#free.splice(i, 1);
      else {
        blk[0] += size;
        blk[1] -= size;
      }
      this.refresh();
      this.u8.fill(0, ptr, ptr + size);
      this.#live += size;
      return { ptr, size };
    }
    const ptr = this.#top;
    this.#ensure(ptr + size);
    this.refresh();
    this.#top = ptr + size;
    if (ptr < this.#dirty) this.u8.fill(0, ptr, Math.min(ptr + size, this.#dirty));
    this.#dirty = Math.max(this.#dirty, ptr + size);
    this.#live += size;
    return { ptr, size };
  }

  free(ptr: number, size: number): void {
    this.#live -= size;
    const f = this.#free;
    // Insert sorted, then merge with the neighbours.
    let i = 0;
    while (i < f.length && f[i]![0] < ptr) i++;
    f.splice(i, 0, [ptr, size]);
    if (i + 1 < f.length && f[i]![0] + f[i]![1] === f[i + 1]![0]) {
      f[i]![1] += f[i + 1]![1];
      f.splice(i + 1, 1);
    }
    if (i > 0 && f[i - 1]![0] + f[i - 1]![1] === f[i]![0]) {
      f[i - 1]![1] += f[i]![1];
      f.splice(i, 1);
      i--;
    }
    // A free block at the top gives its space back to the bump region (zeroed again on reuse).
    const last = f[f.length - 1];
    if (last && last[0] + last[1] === this.#top) {
      this.#top = last[0];
      f.pop();
    }
  }

  #ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const needPages = Math.ceil((end - have) / PAGE);
    const havePages = have / PAGE;
    // Grow by at least an eighth, to keep the number of grows (and view rebuilds) small.
    const pages = Math.min(this.maximumPages - havePages, Math.max(needPages, Math.ceil(havePages / 8)));
    if (pages < needPages) {
      throw new InvalidArgumentError(`cpu-wasm: out of memory: ${end} bytes needed, the WebAssembly memory is limited to ${this.maximumPages * PAGE} bytes`);
    }
    this.memory.grow(pages);
    this.refresh();
  }
}
