import type { Backend, Tensor } from '@kvkit/tensor';
import { InvalidArgumentError } from '@kvkit/tensor';
import { CacheFullError } from '../cache-errors.js';

/**
 * Fixed pool of K/V pages shared by every layer and KV head of a cache. A page holds `pageSize`
 * tokens of one head (`pageSize * headDim` values for K and as many for V). Pages in use are what
 * the cache reserves; releasing a page (eviction, a smaller per-head budget) makes it reusable.
 */
export class PagePool implements Disposable {
  readonly k: Tensor;
  readonly v: Tensor;
  readonly pageSize: number;
  readonly headDim: number;
  readonly totalPages: number;
  readonly #free: number[];

  constructor(backend: Backend, opts: { pages: number; pageSize: number; headDim: number }) {
    const { pages, pageSize, headDim } = opts;
    for (const [k, v] of Object.entries(opts)) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new InvalidArgumentError(`page pool: ${k} must be a positive integer, got ${v}`);
    }
    this.pageSize = pageSize;
    this.headDim = headDim;
    this.totalPages = pages;
    this.k = backend.tensor('f32', [pages * pageSize, headDim]);
    this.v = backend.tensor('f32', [pages * pageSize, headDim]);
    // Lowest page first, so a fresh cache fills the pool front to back.
    this.#free = Array.from({ length: pages }, (_, i) => pages - 1 - i);
  }

  get pagesInUse(): number {
    return this.totalPages - this.#free.length;
  }

  get freePages(): number {
    return this.#free.length;
  }

  get bytesPerPage(): number {
    return 2 * this.pageSize * this.headDim * 4;
  }

  alloc(): number {
    const page = this.#free.pop();
    if (page === undefined) throw new CacheFullError(`KV page pool exhausted (${this.totalPages} pages of ${this.pageSize} tokens)`);
    return page;
  }

  release(page: number): void {
    this.#free.push(page);
  }

  dispose(): void {
    this.k.dispose();
    this.v.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
