import type { Backend, KvDtype, Tensor } from '@kvkit/tensor';
import { InvalidArgumentError, int8Layout, kiviBits, kiviCodeBytes, kiviValueGroups } from '@kvkit/tensor';
import { CacheFullError } from '../cache-errors.js';

/** Raw bytes of a pool's tensors, in their storage encoding (f32/f16/bf16 little-endian, or u8 rows). */
export interface PoolImage {
  readonly k: Uint8Array;
  readonly v: Uint8Array;
  readonly keyParams?: Uint8Array;
}

/**
 * Fixed pool of K/V pages shared by every layer and KV head of a cache. A page holds `pageSize`
 * tokens of one head, in the cache's KV dtype: f32/f16/bf16 rows, int8 blocks, or KIVI codes (plus,
 * for KIVI, the per-channel key parameters of the page's token groups). Pages in use are what the
 * cache reserves; releasing a page (eviction, a smaller per-head budget) makes it reusable.
 */
export class PagePool implements Disposable {
  readonly k: Tensor;
  readonly v: Tensor;
  /** KIVI: per key group of `group` tokens, d x (f16 scale, f16 min). */
  readonly keyParams: Tensor | undefined;
  readonly pageSize: number;
  readonly headDim: number;
  readonly totalPages: number;
  readonly dtype: KvDtype;
  readonly group: number;
  /** Physical bytes of one page (K, V and key parameters). */
  readonly bytesPerPage: number;
  readonly #free: number[];
  /** References to each page: the caches (and prefix-cache entries) whose page tables hold it. */
  readonly #refs: Int32Array;
  /** References beyond the first, over all pages: 0 when no page is shared (writers then skip copy-on-write checks). */
  #extra = 0;
  /** Caches using this pool now (a shared pool must outlive them). */
  #users = 0;
  #disposed = false;
  /** Called when pages are asked for and too few are free: frees some (a prefix cache evicts an unreferenced entry) and says whether it could. */
  onExhausted: (() => boolean) | undefined;

  /** `image`: the pools' initial bytes in their storage encoding (a restored snapshot); zeros otherwise. */
  constructor(backend: Backend, opts: { pages: number; pageSize: number; headDim: number; dtype?: KvDtype; group?: number; image?: PoolImage }) {
    const { pages, pageSize, headDim } = opts;
    for (const [k, v] of Object.entries({ pages, pageSize, headDim })) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new InvalidArgumentError(`page pool: ${k} must be a positive integer, got ${v}`);
    }
    this.pageSize = pageSize;
    this.headDim = headDim;
    this.totalPages = pages;
    this.dtype = opts.dtype ?? 'f32';
    this.group = opts.group ?? 32;
    const rows = pages * pageSize;
    const img = opts.image;
    const bits = kiviBits(this.dtype);
    switch (this.dtype) {
      case 'f32':
      case 'f16':
      case 'bf16':
        this.k = backend.tensor(this.dtype, [rows, headDim], img?.k);
        this.v = backend.tensor(this.dtype, [rows, headDim], img?.v);
        break;
      case 'int8':
        this.k = backend.tensor('u8', [rows, int8Layout(headDim).slotBytes], img?.k);
        this.v = backend.tensor('u8', [rows, int8Layout(headDim).slotBytes], img?.v);
        break;
      case 'kivi2':
      case 'kivi4': {
        const codes = kiviCodeBytes(headDim, bits!);
        this.k = backend.tensor('u8', [rows, codes], img?.k);
        this.v = backend.tensor('u8', [rows, codes + 4 * kiviValueGroups(headDim, this.group)], img?.v);
        this.keyParams = backend.tensor('u8', [rows / this.group, 4 * headDim], img?.keyParams);
        break;
      }
      default:
        throw new InvalidArgumentError(`unknown KV dtype ${String(this.dtype satisfies never)}`);
    }
    this.bytesPerPage = (this.k.byteLength + this.v.byteLength + (this.keyParams?.byteLength ?? 0)) / pages;
    // Lowest page first, so a fresh cache fills the pool front to back.
    this.#free = Array.from({ length: pages }, (_, i) => pages - 1 - i);
    this.#refs = new Int32Array(pages);
  }

  get pagesInUse(): number {
    return this.totalPages - this.#free.length;
  }

  get freePages(): number {
    return this.#free.length;
  }

  /** A free page with one reference. */
  alloc(): number {
    this.ensureFree(1);
    const page = this.#free.pop();
    if (page === undefined) throw new CacheFullError(`KV page pool exhausted (${this.totalPages} pages of ${this.pageSize} tokens)`);
    this.#refs[page] = 1;
    return page;
  }

  /** Whether `n` pages are free, after asking `onExhausted` to free some when they are not. */
  ensureFree(n: number): boolean {
    while (this.#free.length < n && this.onExhausted?.()) {
      // each call frees at least one page or returns false
    }
    return this.#free.length >= n;
  }

  /** One more holder of a page in use (a page shared read-only; a write first copies it). */
  retain(page: number): void {
    if (!(this.#refs[page]! > 0)) throw new Error(`page pool: retain of page ${page}, which is free`);
    this.#refs[page]!++;
    this.#extra++;
  }

  /** Whether any page is held more than once. */
  get sharing(): boolean {
    return this.#extra > 0;
  }

  /** One holder fewer; the page is free again when none is left. */
  release(page: number): void {
    if (!(this.#refs[page]! > 0)) throw new Error(`page pool: release of page ${page}, which is already free (double free)`);
    if (this.#refs[page]! > 1) this.#extra--;
    if (--this.#refs[page]! === 0) this.#free.push(page);
  }

  /** Holders of a page (0: free). */
  refCount(page: number): number {
    return this.#refs[page]!;
  }

  /** A cache starts using this pool. */
  addUser(): void {
    this.#users++;
  }

  /** A cache stops using this pool. */
  removeUser(): void {
    this.#users--;
  }

  get users(): number {
    return this.#users;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.k.dispose();
    this.v.dispose();
    this.keyParams?.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
