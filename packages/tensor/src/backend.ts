import type { DType } from './dtype.js';
import type { KvFormat } from './kv-format.js';
import type { KvView } from './kv-view.js';
import type { Tensor } from './tensor.js';

export type RopeLayout = 'adjacent' | 'half';

export interface RopeOptions {
  readonly nHeads: number;
  readonly headDim: number;
  readonly theta: number;
  /** 'adjacent': pairs (2i, 2i+1) as llama2.c and GGUF; 'half': pairs (i, i + d/2) as HF checkpoints. */
  readonly layout: RopeLayout;
}

/** Attention statistics the policies read; `[nHeads, pagesPerHead * pageSize]` f32, indexed by logical slot. */
export interface AttentionStats {
  /** Accumulated (+=) attention probability each slot received from every query of the call. */
  readonly columnSums?: Tensor;
  /** Overwritten with the probability each slot received from the last `window` queries of the call. */
  readonly windowSums?: Tensor;
  readonly window?: number;
}

export interface AttentionOptions {
  readonly nHeads: number;
  readonly scale: number;
  /** Keys older than `window` positions before the query are masked (sliding-window attention). */
  readonly slidingWindow?: number;
  readonly stats?: AttentionStats;
}

/**
 * The backend contract: buffers in and out, and the ops a decoder needs. Ops enqueue work on
 * caller-allocated outputs (no allocation per token); `read` is the only synchronisation point, so a
 * backend may report an asynchronous failure (a shader compile error, a lost device) there.
 * Weights (`w`, `table`) may be any dtype; activations are f32.
 * Aliasing: elementwise ops (`add`, `siluMul`, `rmsnorm`, `softmax`, `rope`) may write their output
 * into one of their inputs; `matmul`, `attention`, `embed` and `kvWrite` outputs must not alias an input.
 */
export interface Backend extends Disposable {
  readonly name: string;
  /** A zero-filled tensor, or one holding `data` (raw bytes in the dtype's encoding, or f32 values). */
  tensor(dtype: DType, shape: readonly number[], data?: Uint8Array | Float32Array): Tensor;
  /** Overwrite f32 elements of `dst` starting at element `offset`. */
  write(dst: Tensor, data: Float32Array, offset?: number): void;
  /** Read a tensor back, decoded to f32. */
  read(src: Tensor): Promise<Float32Array>;

  /** out[i, :] = table[tokens[i], :] */
  embed(out: Tensor, table: Tensor, tokens: Int32Array): void;
  /** out[m, n] = x[m, k] · w[n, k]^T (GEMV when m = 1); quantised w is dequantised block by block. */
  matmul(out: Tensor, x: Tensor, w: Tensor): void;
  /** out = x / rms(x) * weight, row-wise over the last dim. */
  rmsnorm(out: Tensor, x: Tensor, weight: Tensor, eps: number): void;
  /** In-place rotary embedding of x[m, nHeads * headDim] at the given absolute positions. */
  rope(x: Tensor, positions: Int32Array, opts: RopeOptions): void;
  /** out = silu(gate) * up */
  siluMul(out: Tensor, gate: Tensor, up: Tensor): void;
  /** Copy `count` f32 elements of `src` from element `srcOffset` into `dst` at `dstOffset`. */
  copy(dst: Tensor, src: Tensor, count: number, srcOffset?: number, dstOffset?: number): void;
  /** out = a + b */
  add(out: Tensor, a: Tensor, b: Tensor): void;
  /** In-place softmax over the last dim. */
  softmax(x: Tensor): void;
  /**
   * Write new keys/values x[m, nKvHeads * headDim] into rows of `k`/`v`: token i of head h goes to row
   * `slots[i * nKvHeads + h]`, encoded as the rows' dtype (f32, f16, bf16) or as int8 blocks when
   * `format` is int8 (u8 rows of `int8Layout(d).slotBytes`).
   */
  kvWrite(k: Tensor, v: Tensor, slots: Int32Array, newK: Tensor, newV: Tensor, format?: KvFormat): void;
  /** Copy rows `from[i]` to `to[i]` of K and V, in order (compaction after eviction; any row format). */
  kvMove(k: Tensor, v: Tensor, from: Int32Array, to: Int32Array): void;
  /**
   * KIVI: quantise logical slots [start, start + count) of KV head `head` from the f16 residual ring
   * into the pools: keys as count / group per-channel groups, or values token by token.
   */
  kvQuantize?(view: KvView, head: number, start: number, count: number, part: 'key' | 'value'): void;
  /** out[m, nHeads * headDim] = softmax(q · K^T * scale, causal by position) · V over the cache view. */
  attention(out: Tensor, q: Tensor, queryPositions: Int32Array, view: KvView, opts: AttentionOptions): void;
}
