// Random paged KV views on the host: pools of random keys/values, a page table (contiguous or
// shuffled), ragged lengths and arbitrary positions. Upload `k`/`v` to get a backend KvView.
import type { HostKvView } from './reference/ops.js';
import type { Rng } from './rng.js';
import { randomF32 } from './rng.js';

export interface RandomViewSpec {
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly pageSize: number;
  readonly pagesPerHead: number;
  /** Tokens held by each KV head. */
  readonly lengths: readonly number[];
  /** Absolute positions of head kh's logical slots 0..len-1 (default 0..len-1). */
  readonly positions?: (kh: number, len: number, rng: Rng) => readonly number[];
  /** Pool pages in random order (default); false: one contiguous run of pages per head. */
  readonly shuffle?: boolean;
}

export interface RandomView extends HostKvView {
  readonly k: Float32Array;
  readonly v: Float32Array;
  /** Rows of the pools `k` and `v` ([poolSlots, headDim]). */
  readonly poolSlots: number;
}

/**
 * A view whose pool has nKvHeads * pagesPerHead pages plus one spare. Unmapped logical pages are
 * -1; slots past a head's length keep position 0 and random K/V, so a kernel that ignores
 * `lengths` gets a wrong answer.
 */
export function randomKvView(rng: Rng, spec: RandomViewSpec): RandomView {
  const { nKvHeads, headDim, pageSize, pagesPerHead, lengths, shuffle = true } = spec;
  const cap = pagesPerHead * pageSize;
  const poolPages = nKvHeads * pagesPerHead + 1;
  const order = Array.from({ length: poolPages }, (_, p) => p);
  if (shuffle) rng.shuffle(order);
  const pageTable = new Int32Array(nKvHeads * pagesPerHead).fill(-1);
  const positions = new Int32Array(nKvHeads * cap);
  for (let kh = 0; kh < nKvHeads; kh++) {
    const len = lengths[kh]!;
    if (len > cap) throw new RangeError(`head ${kh}: ${len} tokens > capacity ${cap}`);
    for (let p = 0; p < Math.ceil(len / pageSize); p++) pageTable[kh * pagesPerHead + p] = order[kh * pagesPerHead + p]!;
    const pos = spec.positions?.(kh, len, rng) ?? Array.from({ length: len }, (_, j) => j);
    positions.set(pos, kh * cap);
  }
  const poolSlots = poolPages * pageSize;
  return {
    k: randomF32(rng, poolSlots * headDim),
    v: randomF32(rng, poolSlots * headDim),
    poolSlots,
    nKvHeads,
    headDim,
    pageSize,
    pagesPerHead,
    pageTable,
    lengths: Int32Array.from(lengths),
    positions,
  };
}

/** `len` distinct positions drawn from [0, end), always including 0, in random order (gaps and out-of-order slots). */
export function scatteredPositions(rng: Rng, len: number, end: number): number[] {
  const rest = rng.shuffle(Array.from({ length: end - 1 }, (_, p) => p + 1)).slice(0, len - 1);
  return rng.shuffle([0, ...rest]);
}
