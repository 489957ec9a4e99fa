import type { Backend, KvView } from '@kvkit/tensor';
import { InvalidArgumentError } from '@kvkit/tensor';
import { CacheFullError } from '../cache-errors.js';
import type { PagePool } from './page-pool.js';

/**
 * K/V of one cache-owning layer, stored per KV head in pool pages. Each head has its own page table
 * and length, so heads can hold different numbers of tokens (ragged per-head budgets), and eviction
 * compacts a head in place and returns its tail pages to the pool.
 */
export class LayerKv {
  readonly nKvHeads: number;
  /** Most tokens one head may hold. */
  readonly capacity: number;
  readonly pagesPerHead: number;
  readonly view: KvView;
  readonly #pool: PagePool;
  readonly #backend: Backend;
  /** Contiguous layouts keep their preassigned pages for life; paged layouts give tail pages back. */
  readonly #releasePages: boolean;

  constructor(backend: Backend, pool: PagePool, opts: { nKvHeads: number; capacity: number; preassign: boolean }) {
    const { nKvHeads, capacity } = opts;
    if (!(nKvHeads > 0 && capacity > 0)) throw new InvalidArgumentError(`layer cache needs heads > 0 and capacity > 0, got ${nKvHeads}, ${capacity}`);
    this.#backend = backend;
    this.#pool = pool;
    this.#releasePages = !opts.preassign;
    this.nKvHeads = nKvHeads;
    this.capacity = capacity;
    this.pagesPerHead = Math.ceil(capacity / pool.pageSize);
    const pageTable = new Int32Array(nKvHeads * this.pagesPerHead).fill(-1);
    this.view = {
      k: pool.k,
      v: pool.v,
      nKvHeads,
      headDim: pool.headDim,
      pageSize: pool.pageSize,
      pagesPerHead: this.pagesPerHead,
      pageTable,
      lengths: new Int32Array(nKvHeads),
      positions: new Int32Array(nKvHeads * this.pagesPerHead * pool.pageSize),
    };
    if (opts.preassign) for (let i = 0; i < pageTable.length; i++) pageTable[i] = pool.alloc();
  }

  get lengths(): Int32Array {
    return this.view.lengths;
  }

  /** Pool pages this layer holds now. */
  get pagesInUse(): number {
    let n = 0;
    for (const p of this.view.pageTable) if (p >= 0) n++;
    return n;
  }

  /**
   * Reserve one slot per head for each new token at `positions` and return the pool slots
   * (`[token][head]`) that `backend.kvWrite` fills.
   */
  appendSlots(positions: Int32Array): Int32Array {
    const { lengths, pageTable, pageSize } = this.view;
    const m = positions.length;
    for (let h = 0; h < this.nKvHeads; h++) {
      if (lengths[h]! + m > this.capacity) {
        throw new CacheFullError(`KV head ${h} holds ${lengths[h]} of ${this.capacity} tokens; cannot append ${m}`);
      }
    }
    // Check the pool before touching anything, so a failed append leaves every head as it was.
    let newPages = 0;
    for (let h = 0; h < this.nKvHeads; h++) {
      for (let p = Math.floor(lengths[h]! / pageSize); p <= Math.floor((lengths[h]! + m - 1) / pageSize); p++) {
        if (pageTable[h * this.pagesPerHead + p]! < 0) newPages++;
      }
    }
    if (newPages > this.#pool.freePages) {
      throw new CacheFullError(`KV page pool exhausted: ${m} tokens need ${newPages} pages, ${this.#pool.freePages} free`);
    }
    const slots = new Int32Array(m * this.nKvHeads);
    for (let h = 0; h < this.nKvHeads; h++) {
      for (let i = 0; i < m; i++) {
        const j = lengths[h]!;
        const pt = h * this.pagesPerHead + Math.floor(j / pageSize);
        if (pageTable[pt]! < 0) pageTable[pt] = this.#pool.alloc();
        slots[i * this.nKvHeads + h] = pageTable[pt]! * pageSize + (j % pageSize);
        this.view.positions[h * this.capacitySlots + j] = positions[i]!;
        lengths[h] = j + 1;
      }
    }
    return slots;
  }

  /** Logical slots per head including page padding (the stride of `positions` and of attention stats). */
  get capacitySlots(): number {
    return this.pagesPerHead * this.view.pageSize;
  }

  /** Pool slot of logical slot j of head h. */
  slotOf(h: number, j: number): number {
    const { pageTable, pageSize } = this.view;
    return pageTable[h * this.pagesPerHead + Math.floor(j / pageSize)]! * pageSize + (j % pageSize);
  }

  /** Positions held by head h, in logical slot order. */
  positionsOf(h: number): Int32Array {
    const base = h * this.capacitySlots;
    return this.view.positions.subarray(base, base + this.view.lengths[h]!);
  }

  /**
   * Keep only the logical slots `keep` (strictly ascending) of head h: they move down to slots
   * 0..keep.length-1 in order, and pages past the new length go back to the pool (paged layout).
   */
  retain(h: number, keep: ArrayLike<number>): void {
    const len = this.view.lengths[h]!;
    const from: number[] = [];
    const to: number[] = [];
    const pos = this.view.positions;
    const base = h * this.capacitySlots;
    for (let i = 0; i < keep.length; i++) {
      const j = keep[i]!;
      if (!(j >= 0 && j < len) || (i > 0 && j <= keep[i - 1]!)) {
        throw new InvalidArgumentError(`retain: slots to keep must be ascending and below ${len}, got ${j} at ${i}`);
      }
      if (j !== i) {
        from.push(this.slotOf(h, j));
        to.push(this.slotOf(h, i));
        pos[base + i] = pos[base + j]!;
      }
    }
    if (from.length) this.#backend.kvMove(this.view.k, this.view.v, Int32Array.from(from), Int32Array.from(to));
    this.view.lengths[h] = keep.length;
    if (this.#releasePages) this.#releaseTail(h);
  }

  /** Drop every token (pages go back to the pool in the paged layout). */
  clear(): void {
    this.view.lengths.fill(0);
    if (this.#releasePages) for (let h = 0; h < this.nKvHeads; h++) this.#releaseTail(h);
  }

  #releaseTail(h: number): void {
    const { pageTable, pageSize, lengths } = this.view;
    const needed = Math.ceil(lengths[h]! / pageSize);
    for (let p = needed; p < this.pagesPerHead; p++) {
      const at = h * this.pagesPerHead + p;
      if (pageTable[at]! >= 0) {
        this.#pool.release(pageTable[at]!);
        pageTable[at] = -1;
      }
    }
  }
}
