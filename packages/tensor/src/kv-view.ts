import type { KvFormat } from './kv-format.js';
import type { Tensor } from './tensor.js';

/**
 * How a backend sees the K/V of one cache layer, without copying it: pools of token slots
 * (`[slots, headDim]` for K and V) and, per KV head, a page table that maps logical slots to pool
 * pages. A contiguous layout is one run of pages per head; a ring buffer reuses its slots. Attention
 * is order-independent, so logical slot order does not matter; `positions` gives each logical slot's
 * absolute token position (the causal mask) and lets policies evict anywhere.
 */
export interface KvView {
  readonly k: Tensor;
  readonly v: Tensor;
  readonly nKvHeads: number;
  readonly headDim: number;
  /** Tokens per page. */
  readonly pageSize: number;
  /** Row stride of `pageTable`: the most pages one head may hold. */
  readonly pagesPerHead: number;
  /** `[nKvHeads * pagesPerHead]`: pool page of each logical page (-1 when unmapped). */
  readonly pageTable: Int32Array;
  /** `[nKvHeads]`: tokens held by each head (ragged when a policy keeps different counts per head). */
  readonly lengths: Int32Array;
  /** `[nKvHeads * pagesPerHead * pageSize]`: absolute position of each logical slot (DEAD_POSITION: evicted). */
  readonly positions: Int32Array;
  /** Storage format of the pools (default f32: `k`, `v` are f32 `[slots, headDim]`). */
  readonly format?: KvFormat;
}

/** Logical slot capacity per head of a view. */
export function viewCapacity(view: KvView): number {
  return view.pagesPerHead * view.pageSize;
}
