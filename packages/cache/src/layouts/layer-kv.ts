import type { Backend, KiviFormat, KvFormat, KvView, Tensor } from '@kvkit/tensor';
import { checkKivi, DEAD_POSITION, InvalidArgumentError, int8Layout, kiviBits, kiviCodeBytes, kiviValueGroups, UnsupportedDTypeError } from '@kvkit/tensor';
import { CacheFullError } from '../cache-errors.js';
import type { PagePool } from './page-pool.js';

export interface LayerKvOptions {
  readonly nKvHeads: number;
  readonly capacity: number;
  /** Contiguous layouts take every page up front and keep them; paged layouts take and return pages. */
  readonly preassign: boolean;
  /** KIVI: newest tokens kept in f16 (default 128, a multiple of the pool's group). */
  readonly residual?: number;
  /** KIVI: initial bytes of the f16 residual rings (a restored snapshot); zeros otherwise. */
  readonly ring?: { readonly k: Uint8Array; readonly v: Uint8Array };
}

/**
 * K/V of one cache-owning layer, stored per KV head in pool pages. Each head has its own page table
 * and length, so heads can hold different numbers of tokens (ragged per-head budgets). Eviction
 * compacts a head in place and returns its tail pages to the pool — except under KIVI, whose keys are
 * quantised per channel across groups of tokens: there an evicted token becomes a hole (masked by
 * `DEAD_POSITION`) and a page goes back to the pool once all of it is dead, so no group is ever
 * requantised. Callers index tokens by *live index* (holes skipped): `positionsOf`, `retain`.
 */
export class LayerKv {
  readonly nKvHeads: number;
  /** Most tokens one head may hold. */
  readonly capacity: number;
  readonly pagesPerHead: number;
  readonly view: KvView;
  readonly #pool: PagePool;
  readonly #backend: Backend;
  readonly #releasePages: boolean;
  readonly #kivi: KiviFormat | undefined;
  readonly #int8: boolean;

  constructor(backend: Backend, pool: PagePool, opts: LayerKvOptions) {
    const { nKvHeads, capacity } = opts;
    if (!(nKvHeads > 0 && capacity > 0)) throw new InvalidArgumentError(`layer cache needs heads > 0 and capacity > 0, got ${nKvHeads}, ${capacity}`);
    this.#backend = backend;
    this.#pool = pool;
    this.#releasePages = !opts.preassign;
    this.nKvHeads = nKvHeads;
    this.capacity = capacity;
    this.pagesPerHead = Math.ceil(capacity / pool.pageSize);
    const bits = kiviBits(pool.dtype);
    let format: KvFormat = { kind: pool.dtype === 'int8' ? 'int8' : (pool.dtype as 'f32' | 'f16' | 'bf16') };
    if (bits) {
      if (!backend.kvQuantize) throw new UnsupportedDTypeError(`backend '${backend.name}' cannot store KIVI caches (no kvQuantize)`);
      const residual = opts.residual ?? 128;
      checkKivi(pool.headDim, bits, pool.group, residual, pool.pageSize);
      format = {
        kind: 'kivi',
        bits,
        group: pool.group,
        residual,
        keyParams: pool.keyParams!,
        residualK: backend.tensor('f16', [nKvHeads * residual, pool.headDim], opts.ring?.k),
        residualV: backend.tensor('f16', [nKvHeads * residual, pool.headDim], opts.ring?.v),
        keyQuantized: new Int32Array(nKvHeads),
        valueQuantized: new Int32Array(nKvHeads),
        ringBase: new Int32Array(nKvHeads),
      };
      this.#kivi = format;
    }
    this.#int8 = pool.dtype === 'int8';
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
      format,
    };
    if (opts.preassign) for (let i = 0; i < pageTable.length; i++) pageTable[i] = pool.alloc();
  }

  /** Logical slots per head, holes included (what attention iterates). */
  get lengths(): Int32Array {
    return this.view.lengths;
  }

  /** Logical slots per head including page padding (the stride of `positions` and of attention stats). */
  get capacitySlots(): number {
    return this.pagesPerHead * this.view.pageSize;
  }

  /** Pool pages this layer holds now. */
  get pagesInUse(): number {
    let n = 0;
    for (const p of this.view.pageTable) if (p >= 0) n++;
    return n;
  }

  /** Tokens head h holds (holes excluded). */
  held(h: number): number {
    if (!this.#kivi) return this.view.lengths[h]!;
    let n = 0;
    for (const p of this.#rawPositions(h)) if (p !== DEAD_POSITION) n++;
    return n;
  }

  /** Logical slot of each live token of head h, ascending. */
  liveSlots(h: number): Int32Array {
    const raw = this.#rawPositions(h);
    if (!this.#kivi) {
      const all = new Int32Array(raw.length);
      for (let i = 0; i < all.length; i++) all[i] = i;
      return all;
    }
    const out: number[] = [];
    raw.forEach((p, j) => p !== DEAD_POSITION && out.push(j));
    return Int32Array.from(out);
  }

  /** Positions of the live tokens of head h, in logical order. */
  positionsOf(h: number): Int32Array {
    const raw = this.#rawPositions(h);
    return this.#kivi ? raw.filter((p) => p !== DEAD_POSITION) : raw;
  }

  #rawPositions(h: number): Int32Array {
    const base = h * this.capacitySlots;
    return this.view.positions.subarray(base, base + this.view.lengths[h]!);
  }

  /** Pool slot of logical slot j of head h. */
  slotOf(h: number, j: number): number {
    const { pageTable, pageSize } = this.view;
    return pageTable[h * this.pagesPerHead + Math.floor(j / pageSize)]! * pageSize + (j % pageSize);
  }

  /**
   * Append K/V rows ([m, nKvHeads * headDim], f32) at `positions` to every head: encoded into the
   * pools (f32/f16/bf16/int8), or into KIVI's f16 residual rings, which are quantised into the
   * pools as they fill (keys a residual block at a time, values one token at a time).
   */
  append(positions: Int32Array, k: Tensor, v: Tensor): void {
    const m = positions.length;
    const kivi = this.#kivi;
    if (!kivi) {
      const slots = this.#reserve(positions);
      this.#backend.kvWrite(this.view.k, this.view.v, slots, k, v, this.#int8 ? { kind: 'int8' } : undefined);
      return;
    }
    this.#reserveCheck(m);
    const R = kivi.residual;
    const width = this.nKvHeads * this.view.headDim;
    // Write in pieces no larger than the room left in the key ring, so no ring row is overwritten
    // before it is quantised.
    for (let i0 = 0; i0 < m; ) {
      const room = Math.min(...Array.from(kivi.keyQuantized, (kq, h) => R - (this.view.lengths[h]! - kq)));
      const s = Math.min(m - i0, room);
      for (let h = 0; h < this.nKvHeads; h++) {
        const over = this.view.lengths[h]! + s - kivi.valueQuantized[h]! - R;
        if (over > 0) this.#quantize(h, kivi.valueQuantized[h]!, over, 'value');
      }
      const sub = positions.subarray(i0, i0 + s);
      const rows = this.#reserve(sub, true);
      if (s === m) this.#backend.kvWrite(kivi.residualK, kivi.residualV, rows, k, v);
      else {
        using ks = this.#backend.tensor('f32', [s, width]);
        using vs = this.#backend.tensor('f32', [s, width]);
        this.#backend.copy(ks, k, s * width, i0 * width, 0);
        this.#backend.copy(vs, v, s * width, i0 * width, 0);
        this.#backend.kvWrite(kivi.residualK, kivi.residualV, rows, ks, vs);
      }
      for (let h = 0; h < this.nKvHeads; h++) {
        if (this.view.lengths[h]! - kivi.keyQuantized[h]! === R) this.#quantize(h, kivi.keyQuantized[h]!, R, 'key');
      }
      i0 += s;
    }
  }

  #quantize(h: number, start: number, count: number, part: 'key' | 'value'): void {
    this.#backend.kvQuantize!(this.view, h, start, count, part);
    const kivi = this.#kivi!;
    if (part === 'key') kivi.keyQuantized[h]! += count;
    else kivi.valueQuantized[h]! += count;
  }

  /** Checks capacity and pool room for m more tokens in every head before anything changes. */
  #reserveCheck(m: number): void {
    const { lengths, pageTable, pageSize } = this.view;
    let newPages = 0;
    for (let h = 0; h < this.nKvHeads; h++) {
      if (lengths[h]! + m > this.capacity) {
        throw new CacheFullError(`KV head ${h} holds ${lengths[h]} of ${this.capacity} slots; cannot append ${m}`);
      }
      for (let p = Math.floor(lengths[h]! / pageSize); p <= Math.floor((lengths[h]! + m - 1) / pageSize); p++) {
        const page = pageTable[h * this.pagesPerHead + p]!;
        if (page < 0 || this.#pool.refCount(page) > 1) newPages++; // a shared page is copied before the write
      }
    }
    if (!this.#pool.ensureFree(newPages)) {
      throw new CacheFullError(`KV page pool exhausted: ${m} tokens need ${newPages} pages, ${this.#pool.freePages} free`);
    }
  }

  /** Take the next logical slot of every head for each token; returns pool slots, or ring rows for KIVI. */
  #reserve(positions: Int32Array, ring = false): Int32Array {
    const { lengths, pageTable, pageSize } = this.view;
    const m = positions.length;
    if (!ring) this.#reserveCheck(m);
    const slots = new Int32Array(m * this.nKvHeads);
    for (let h = 0; h < this.nKvHeads; h++) {
      for (let i = 0; i < m; i++) {
        const j = lengths[h]!;
        const pt = h * this.pagesPerHead + Math.floor(j / pageSize);
        if (pageTable[pt]! < 0) pageTable[pt] = this.#pool.alloc();
        else if (!ring && this.#pool.sharing) this.#own(h, Math.floor(j / pageSize));
        const R = this.#kivi?.residual ?? 0;
        slots[i * this.nKvHeads + h] = ring ? h * R + ((j + this.#kivi!.ringBase[h]!) % R) : pageTable[pt]! * pageSize + (j % pageSize);
        this.view.positions[h * this.capacitySlots + j] = positions[i]!;
        lengths[h] = j + 1;
      }
    }
    return slots;
  }

  /**
   * Keep only the live tokens `keep` (live indices, strictly ascending) of head h, and return, for each
   * new live index, the old live index now there. Row formats fill the holes left below the new
   * length with the kept rows from above it — one row moved per evicted token, so a sliding window
   * or StreamingLLM works as a ring buffer — and return tail pages; order inside a head does not
   * matter to attention. KIVI marks the others dead instead and returns pages entirely dead.
   */
  retain(h: number, keep: ArrayLike<number>): Int32Array {
    const live = this.#kivi ? this.liveSlots(h) : undefined;
    const liveCount = live ? live.length : this.view.lengths[h]!;
    for (let i = 0; i < keep.length; i++) {
      const j = keep[i]!;
      if (!(Number.isInteger(j) && j >= 0 && j < liveCount) || (i > 0 && j <= keep[i - 1]!)) {
        throw new InvalidArgumentError(`retain: tokens to keep must be ascending live indices below ${liveCount}, got ${j} at ${i}`);
      }
    }
    if (live) {
      this.#retainWithHoles(h, keep, live);
      return Int32Array.from(keep);
    }
    const n = keep.length;
    const order = new Int32Array(n);
    // keep is ascending: its entries below n come first; each index below n missing from them is a
    // hole, filled by the next kept entry at or above n.
    let low = 0;
    while (low < n && keep[low]! < n) low++;
    const from = new Int32Array(n - low);
    const to = new Int32Array(n - low);
    const pos = this.view.positions;
    const base = h * this.capacitySlots;
    for (let i = 0, k = 0, filler = low, w = 0; i < n; i++) {
      if (k < low && keep[k] === i) {
        order[i] = i;
        k++;
        continue;
      }
      const j = keep[filler++]!;
      from[w] = this.slotOf(h, j);
      to[w++] = this.slotOf(h, i);
      pos[base + i] = pos[base + j]!;
      order[i] = j;
    }
    if (from.length && this.#pool.sharing) {
      // The rows written must be on pages this cache alone holds: copy shared ones first.
      const pages = new Set<number>();
      for (let i = 0, k = 0; i < n; i++) {
        if (k < low && keep[k] === i) k++;
        else pages.add(Math.floor(i / this.view.pageSize));
      }
      for (const p of pages) this.#own(h, p);
      for (let w = 0, k = 0, i = 0; i < n; i++) {
        if (k < low && keep[k] === i) k++;
        else to[w++] = this.slotOf(h, i);
      }
      // Sources may sit on pages just copied: read them from this head's current page table.
      for (let w = 0, f = low; w < from.length; w++) from[w] = this.slotOf(h, keep[f++]!);
    }
    if (from.length) this.#backend.kvMove(this.view.k, this.view.v, from, to);
    this.view.lengths[h] = n;
    if (this.#releasePages) this.#releaseTail(h);
    return order;
  }

  #retainWithHoles(h: number, keep: ArrayLike<number>, live: Int32Array): void {
    const kivi = this.#kivi!;
    const { pageSize: ps, pageTable, positions } = this.view;
    const base = h * this.capacitySlots;
    const kept = new Set(Array.from(keep, (i) => live[i]!));
    for (const j of live) if (!kept.has(j)) positions[base + j] = DEAD_POSITION;
    if (!this.#releasePages) return;
    // Drop whole dead pages of the quantised region; later pages shift down one page in logical order.
    const quantized = Math.min(kivi.keyQuantized[h]!, kivi.valueQuantized[h]!);
    for (let p = Math.floor(quantized / ps) - 1; p >= 0; p--) {
      let dead = true;
      for (let j = p * ps; j < (p + 1) * ps && dead; j++) dead = positions[base + j] === DEAD_POSITION;
      if (!dead) continue;
      const row = h * this.pagesPerHead;
      this.#pool.release(pageTable[row + p]!);
      pageTable.copyWithin(row + p, row + p + 1, row + this.pagesPerHead);
      pageTable[row + this.pagesPerHead - 1] = -1;
      positions.copyWithin(base + p * ps, base + (p + 1) * ps, base + this.capacitySlots);
      this.view.lengths[h]! -= ps;
      kivi.keyQuantized[h]! -= ps;
      kivi.valueQuantized[h]! -= ps;
      kivi.ringBase[h] = (kivi.ringBase[h]! + ps) % kivi.residual;
    }
  }

  /**
   * Copy-on-write: logical page p of head h becomes a page this layer alone holds (a copy of the shared
   * page, whose reference it drops) before anything writes into it.
   */
  #own(h: number, p: number): void {
    const at = h * this.pagesPerHead + p;
    const page = this.view.pageTable[at]!;
    if (page < 0 || this.#pool.refCount(page) === 1) return;
    if (this.#kivi) throw new Error('KIVI pages are never shared');
    const fresh = this.#pool.alloc();
    const ps = this.view.pageSize;
    const from = Int32Array.from({ length: ps }, (_, i) => page * ps + i);
    const to = Int32Array.from({ length: ps }, (_, i) => fresh * ps + i);
    this.#backend.kvMove(this.view.k, this.view.v, from, to);
    this.#pool.release(page);
    this.view.pageTable[at] = fresh;
  }

  /**
   * Hold what `other` holds (same pool, paged, not KIVI): its page tables, lengths and positions, each
   * page shared with one more reference; a later write copies the page first.
   */
  shareFrom(other: LayerKv): void {
    if (other.#pool !== this.#pool || !this.#releasePages || this.#kivi || other.nKvHeads !== this.nKvHeads || other.pagesPerHead !== this.pagesPerHead) {
      throw new InvalidArgumentError('sharing pages needs two paged, non-KIVI layer caches of the same shape on one pool');
    }
    this.releaseAll();
    const src = other.view;
    for (let i = 0; i < src.pageTable.length; i++) {
      const page = src.pageTable[i]!;
      if (page >= 0) this.#pool.retain(page);
      this.view.pageTable[i] = page;
    }
    this.view.lengths.set(src.lengths);
    this.view.positions.set(src.positions);
  }

  /**
   * Map head h's first logical pages to `pages` (each gets one more reference) holding `positions`
   * (a prefix shared read-only); the head must be empty.
   */
  adopt(h: number, pages: readonly number[], positions: ArrayLike<number>): void {
    if (!this.#releasePages || this.#kivi) throw new InvalidArgumentError('only paged, non-KIVI caches adopt shared pages');
    if (this.view.lengths[h] !== 0) throw new InvalidArgumentError(`head ${h} already holds tokens`);
    if (positions.length > pages.length * this.view.pageSize || pages.length > this.pagesPerHead) throw new InvalidArgumentError('adopted pages do not fit the head');
    pages.forEach((page, p) => {
      this.#pool.retain(page);
      this.view.pageTable[h * this.pagesPerHead + p] = page;
    });
    this.view.positions.set(positions, h * this.capacitySlots);
    this.view.lengths[h] = positions.length;
  }

  /** Pool page of head h's logical page p (-1: none). */
  pageOf(h: number, p: number): number {
    return this.view.pageTable[h * this.pagesPerHead + p]!;
  }

  /** Drop every token and every page reference (a cache on a shared pool, when it is disposed). */
  releaseAll(): void {
    const { pageTable } = this.view;
    for (let i = 0; i < pageTable.length; i++) {
      if (pageTable[i]! >= 0) this.#pool.release(pageTable[i]!);
      pageTable[i] = -1;
    }
    this.view.lengths.fill(0);
    if (this.#kivi) {
      this.#kivi.keyQuantized.fill(0);
      this.#kivi.valueQuantized.fill(0);
      this.#kivi.ringBase.fill(0);
    }
  }

  /** Exact bytes of the values held (policies.md §13): live rows, KIVI group parameters in use and residual rows. */
  bytesUsed(): number {
    const d = this.view.headDim;
    const pool = this.#pool;
    const kivi = this.#kivi;
    let total = 0;
    for (let h = 0; h < this.nKvHeads; h++) {
      if (!kivi) {
        const row = pool.dtype === 'int8' ? int8Layout(d).slotBytes : pool.dtype === 'f32' ? 4 * d : 2 * d;
        total += 2 * row * this.view.lengths[h]!;
        continue;
      }
      const codes = kiviCodeBytes(d, kivi.bits);
      const raw = this.#rawPositions(h);
      const groups = new Set<number>();
      raw.forEach((p, j) => {
        if (p === DEAD_POSITION) return;
        if (j < kivi.keyQuantized[h]!) {
          total += codes;
          groups.add(Math.floor(j / kivi.group));
        } else total += 2 * d;
        total += j < kivi.valueQuantized[h]! ? codes + 4 * kiviValueGroups(d, kivi.group) : 2 * d;
      });
      total += groups.size * 4 * d;
    }
    return total;
  }

  /** Bytes this layer has taken beyond the shared pool (KIVI's residual rings). */
  get ownBytes(): number {
    return this.#kivi ? this.#kivi.residualK.byteLength + this.#kivi.residualV.byteLength : 0;
  }

  /** Drop every token (pages go back to the pool in the paged layout). */
  clear(): void {
    this.view.lengths.fill(0);
    if (this.#kivi) {
      this.#kivi.keyQuantized.fill(0);
      this.#kivi.valueQuantized.fill(0);
      this.#kivi.ringBase.fill(0);
    }
    if (this.#releasePages) for (let h = 0; h < this.nKvHeads; h++) this.#releaseTail(h);
  }

  dispose(): void {
    this.#kivi?.residualK.dispose();
    this.#kivi?.residualV.dispose();
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
