// Float64 reference implementations of every Backend op: plain loops, written to be obviously
// correct rather than fast. Inputs are any array of numbers; outputs are new Float64Arrays.
import type { KvView, RopeLayout } from '@kvkit/tensor';

type Vec = ArrayLike<number>;

/** out[m, n] = x[m, k] · w[n, k]^T */
export function matmul(x: Vec, w: Vec, m: number, n: number, k: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += x[i * k + j]! * w[r * k + j]!;
      out[i * n + r] = s;
    }
  }
  return out;
}

/** out[i, :] = table[tokens[i], :] for a table of row length `dim`. */
export function embed(table: Vec, dim: number, tokens: Vec): Float64Array {
  const out = new Float64Array(tokens.length * dim);
  for (let i = 0; i < tokens.length; i++) {
    for (let j = 0; j < dim; j++) out[i * dim + j] = table[tokens[i]! * dim + j]!;
  }
  return out;
}

/** Row-wise x / sqrt(mean(x^2) + eps) * weight; the row length is weight.length. */
export function rmsnorm(x: Vec, weight: Vec, eps: number): Float64Array {
  const d = weight.length;
  const out = new Float64Array(x.length);
  for (let off = 0; off < x.length; off += d) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += x[off + j]! ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let j = 0; j < d; j++) out[off + j] = x[off + j]! * inv * weight[j]!;
  }
  return out;
}

export interface RopeReferenceOptions {
  readonly nHeads: number;
  readonly headDim: number;
  readonly theta: number;
  readonly layout: RopeLayout;
}

/**
 * Rotary embedding of x[m, nHeads * headDim]: pair i of a head is rotated by pos * theta^(-2i/d);
 * 'adjacent' pairs are (2i, 2i+1), 'half' pairs are (i, i + d/2).
 */
export function rope(x: Vec, positions: Vec, opts: RopeReferenceOptions): Float64Array {
  const { nHeads, headDim: d, theta, layout } = opts;
  const out = Float64Array.from(x);
  for (let t = 0; t < positions.length; t++) {
    for (let h = 0; h < nHeads; h++) {
      const base = (t * nHeads + h) * d;
      for (let i = 0; i < d / 2; i++) {
        const angle = positions[t]! * theta ** ((-2 * i) / d);
        const a = layout === 'adjacent' ? base + 2 * i : base + i;
        const b = layout === 'adjacent' ? a + 1 : a + d / 2;
        const x0 = x[a]!;
        const x1 = x[b]!;
        out[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
        out[b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
      }
    }
  }
  return out;
}

/** silu(gate) * up = gate / (1 + e^-gate) * up */
export function siluMul(gate: Vec, up: Vec): Float64Array {
  return Float64Array.from(gate, (g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
}

export function add(a: Vec, b: Vec): Float64Array {
  return Float64Array.from(a, (v, i) => v + b[i]!);
}

/** Softmax over rows of length d (max-subtracted; -Infinity entries get probability 0). */
export function softmax(x: Vec, d: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let off = 0; off < x.length; off += d) {
    let max = -Infinity;
    for (let j = 0; j < d; j++) max = Math.max(max, x[off + j]!);
    let sum = 0;
    for (let j = 0; j < d; j++) {
      out[off + j] = Math.exp(x[off + j]! - max);
      sum += out[off + j]!;
    }
    for (let j = 0; j < d; j++) out[off + j] /= sum;
  }
  return out;
}

/** New pools after writing token i of KV head h (rows of newK/newV [m, nKv * d]) to slot slots[i * nKv + h]. */
export function kvWrite(k: Vec, v: Vec, d: number, slots: Vec, newK: Vec, newV: Vec): { k: Float64Array; v: Float64Array } {
  const ko = Float64Array.from(k);
  const vo = Float64Array.from(v);
  for (let t = 0; t < slots.length; t++) {
    for (let c = 0; c < d; c++) {
      ko[slots[t]! * d + c] = newK[t * d + c]!;
      vo[slots[t]! * d + c] = newV[t * d + c]!;
    }
  }
  return { k: ko, v: vo };
}

/** New pools after copying slot from[i] to to[i], one move after another. */
export function kvMove(k: Vec, v: Vec, d: number, from: Vec, to: Vec): { k: Float64Array; v: Float64Array } {
  const ko = Float64Array.from(k);
  const vo = Float64Array.from(v);
  for (let i = 0; i < from.length; i++) {
    for (let c = 0; c < d; c++) {
      ko[to[i]! * d + c] = ko[from[i]! * d + c]!;
      vo[to[i]! * d + c] = vo[from[i]! * d + c]!;
    }
  }
  return { k: ko, v: vo };
}

/** A KvView whose pools are host arrays (`[poolSlots, headDim]`). */
export interface HostKvView extends Omit<KvView, 'k' | 'v'> {
  readonly k: Vec;
  readonly v: Vec;
}

export interface AttentionReferenceOptions {
  readonly nHeads: number;
  readonly scale: number;
  readonly slidingWindow?: number;
  /** Queries (the last ones) whose probabilities make up `windowSums`; default 0. */
  readonly window?: number;
}

export interface AttentionReferenceResult {
  /** [m, nHeads * headDim] */
  readonly out: Float64Array;
  /** [nHeads, capacity]: probabilities summed over every query of this call (add to the previous sums). */
  readonly columnSums: Float64Array;
  /** [nHeads, capacity]: probabilities summed over the last `window` queries. */
  readonly windowSums: Float64Array;
}

/** Pool slot of logical slot j of KV head kh. */
export function poolSlot(view: HostKvView | KvView, kh: number, j: number): number {
  const page = view.pageTable[kh * view.pagesPerHead + Math.floor(j / view.pageSize)]!;
  if (page < 0) throw new Error(`logical slot ${j} of KV head ${kh} is on an unmapped page`);
  return page * view.pageSize + (j % view.pageSize);
}

/**
 * Attention of q[m, nHeads * headDim] at `queryPositions` over a paged view. Key j of a head is
 * masked when its position is after the query's or at least `slidingWindow` before it. Query head
 * h reads KV head floor(h / (nHeads / nKvHeads)). A query that sees no key outputs zeros.
 */
export function attention(q: Vec, queryPositions: Vec, view: HostKvView, opts: AttentionReferenceOptions): AttentionReferenceResult {
  const { nHeads, scale, slidingWindow = Infinity, window = 0 } = opts;
  const { nKvHeads, headDim: d, lengths, positions } = view;
  const m = queryPositions.length;
  const cap = view.pagesPerHead * view.pageSize;
  const group = nHeads / nKvHeads;
  const out = new Float64Array(m * nHeads * d);
  const columnSums = new Float64Array(nHeads * cap);
  const windowSums = new Float64Array(nHeads * cap);
  for (let h = 0; h < nHeads; h++) {
    const kh = Math.floor(h / group);
    const len = lengths[kh]!;
    for (let i = 0; i < m; i++) {
      const qp = queryPositions[i]!;
      const qo = (i * nHeads + h) * d;
      const scores = new Float64Array(len).fill(-Infinity);
      for (let j = 0; j < len; j++) {
        const kp = positions[kh * cap + j]!;
        if (kp > qp || kp <= qp - slidingWindow) continue;
        const ko = poolSlot(view, kh, j) * d;
        let s = 0;
        for (let c = 0; c < d; c++) s += q[qo + c]! * view.k[ko + c]!;
        scores[j] = s * scale;
      }
      if (scores.every((s) => s === -Infinity)) continue;
      const p = softmax(scores, len);
      for (let j = 0; j < len; j++) {
        const vo = poolSlot(view, kh, j) * d;
        for (let c = 0; c < d; c++) out[qo + c] += p[j]! * view.v[vo + c]!;
        columnSums[h * cap + j] += p[j]!;
        if (i >= m - window) windowSums[h * cap + j] += p[j]!;
      }
    }
  }
  return { out, columnSums, windowSums };
}
