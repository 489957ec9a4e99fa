// Independent float64 references for the policy tests: raw random q/k -> causal softmax attention ->
// window/column sums -> the published selection algorithms, transcribed straight from the reference
// Python (lists, sort on (-score, position)), sharing no code with src/.
import type { PrefillStats } from '../src/policies/index.js';

/** mulberry32: a small seeded PRNG so that every case is reproducible from its seed. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

export interface Heads {
  H: number;
  Hkv: number;
  n: number;
  d: number;
  /** [H][n][d] */
  q: number[][][];
  /** [Hkv][n][d] */
  k: number[][][];
}

/** Random q and k; `sharp` scales q so that attention is peaky (few near-ties among scores). */
export function randomHeads(rng: Prng, H: number, Hkv: number, n: number, d: number, sharp = 2.5): Heads {
  const mat = (rows: number, s: number) => Array.from({ length: rows }, () => Array.from({ length: d }, () => rng.normal() * s));
  return {
    H,
    Hkv,
    n,
    d,
    q: Array.from({ length: H }, () => mat(n, sharp)),
    k: Array.from({ length: Hkv }, () => mat(n, 1)),
  };
}

/** Causal softmax attention row of query `i` in head `h` (keys 0..i), float64. */
export function attentionRow(m: Heads, h: number, i: number): number[] {
  const kh = Math.floor(h / (m.H / m.Hkv));
  const logits: number[] = [];
  for (let j = 0; j <= i; j++) {
    let dot = 0;
    for (let t = 0; t < m.d; t++) dot += m.q[h]![i]![t]! * m.k[kh]![j]![t]!;
    logits.push(dot / Math.sqrt(m.d));
  }
  const mx = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - mx));
  const z = e.reduce((a, b) => a + b, 0);
  const row = new Array<number>(m.n).fill(0);
  e.forEach((v, j) => (row[j] = v / z));
  return row;
}

/** [H][n]: sum over queries i in [from, n) of A[h, i, j]. */
export function attentionSums(m: Heads, from: number): number[][] {
  return Array.from({ length: m.H }, (_, h) => {
    const s = new Array<number>(m.n).fill(0);
    for (let i = from; i < m.n; i++) {
      const row = attentionRow(m, h, i);
      for (let j = 0; j < m.n; j++) s[j] += row[j]!;
    }
    return s;
  });
}

/** What the runtime would hand over; `f32` rounds like a float32 backend. */
export function toStats(m: Heads, windowSums: number[][], columnSums?: number[][], f32 = false): PrefillStats {
  const flat = (x: number[][]) => (f32 ? Float32Array.from(x.flat()) : Float64Array.from(x.flat()));
  const base = { n: m.n, nHeads: m.H, nKvHeads: m.Hkv, windowSums: flat(windowSums) };
  return columnSums ? { ...base, columnSums: flat(columnSums) } : base;
}

// ---------- reference building blocks (Python transcriptions) ----------

/** x.view(Hkv, g, len).mean(1) / .max(1) */
export function refGqa(rows: number[][], Hkv: number, mode: 'mean' | 'max' = 'mean'): number[][] {
  const g = rows.length / Hkv;
  return Array.from({ length: Hkv }, (_, kh) => {
    const group = rows.slice(kh * g, kh * g + g);
    return group[0]!.map((_, j) => {
      if (mode === 'max') return Math.max(...group.map((r) => r[j]!));
      let s = 0;
      for (const r of group) s += r[j]!;
      return s / g;
    });
  });
}

/** F.avg_pool1d(x, k, padding=k//2, stride=1) (count_include_pad) and F.max_pool1d (pads with -inf). */
export function refPool(x: number[], k: number, mode: 'avg' | 'max'): number[] {
  const p = Math.floor(k / 2);
  const padValue = mode === 'avg' ? 0 : -Infinity;
  const padded = [...new Array<number>(p).fill(padValue), ...x, ...new Array<number>(p).fill(padValue)];
  const out: number[] = [];
  for (let i = 0; i + k <= padded.length; i++) {
    const win = padded.slice(i, i + k);
    if (mode === 'avg') {
      let s = 0;
      for (const v of win) s += v;
      out.push(s / k);
    } else out.push(Math.max(...win));
  }
  return out;
}

/** Indices of the top k by (score desc, index asc): `sorted(range(n), key=lambda j: (-s[j], j))[:k]`. */
export function refTopIdx(s: readonly number[], k: number): number[] {
  return s
    .map((v, j) => ({ v, j }))
    .sort((a, b) => (a.v !== b.v ? b.v - a.v : a.j - b.j))
    .slice(0, k)
    .map((e) => e.j);
}

const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
const asc = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** Records every top-k boundary a reference decision depended on, to tell clear cases from near-ties. */
export type Boundaries = { scores: number[]; k: number }[];

/**
 * A decision is clear when, at every boundary, no score lies within `tol` (relative to the largest)
 * of the k-th best unless exactly equal to it (exact copies, e.g. from max pooling, stay exact
 * copies in float32 and break ties by position on both sides).
 */
export function isClear(bs: Boundaries, tol = 1e-5): boolean {
  return bs.every(({ scores, k }) => {
    if (k <= 0 || k >= scores.length) return true;
    const sorted = [...scores].sort((a, b) => b - a);
    const v = sorted[k - 1]!;
    const scale = Math.max(...scores.map(Math.abs)) || 1;
    return scores.every((s) => s === v || Math.abs(s - v) > tol * scale);
  });
}

// ---------- references ----------

export interface WindowCfg {
  w: number;
  kernel: number;
  pooling: 'avg' | 'max';
  gqa?: 'mean' | 'max';
}

/** SnapKV's per-KV-head pooled scores of j < n - w (`average`: Ada-KV's mean over the window). */
export function refWindowScores(m: Heads, cfg: WindowCfg, average = false): number[][] {
  const sums = attentionSums(m, m.n - cfg.w).map((r) => r.slice(0, m.n - cfg.w).map((v) => (average ? v / cfg.w : v)));
  return refGqa(sums, m.Hkv, cfg.gqa ?? 'mean').map((r) => refPool(r, cfg.kernel, cfg.pooling));
}

export function refSnapKV(m: Heads, cfg: WindowCfg, B: number, bs: Boundaries = []): number[][] {
  const { n } = m;
  if (n <= B) return range(0, m.Hkv).map(() => range(0, n));
  return refWindowScores(m, cfg).map((s) => {
    bs.push({ scores: s, k: B - cfg.w });
    return [...asc(refTopIdx(s, B - cfg.w)), ...range(n - cfg.w, n)];
  });
}

/** PyramidKV's update_kv for one layer, as the reference's branches. */
export function refPyramidKV(layers: Heads[], cfg: WindowCfg & { beta: number }, B: number, bs: Boundaries = []): number[][][] {
  const L = layers.length;
  return layers.map((m, layerIdx) => {
    const qLen = m.n;
    const w = cfg.w;
    let minNum = Math.floor((B - w) / cfg.beta);
    let maxNum = (B - w) * 2 - minNum;
    if (maxNum >= qLen - w) {
      maxNum = qLen - w;
      minNum = (B - w) * 2 - maxNum;
    }
    const steps = L > 1 ? Math.floor((maxNum - minNum) / (L - 1)) : 0;
    const cap = maxNum - layerIdx * steps;
    if (qLen <= B) return range(0, m.Hkv).map(() => range(0, qLen));
    const keep = qLen < (B - w) * 2 ? B - w : cap;
    return refWindowScores(m, cfg).map((s) => {
      bs.push({ scores: s, k: keep });
      return [...asc(refTopIdx(s, keep)), ...range(qLen - w, qLen)];
    });
  });
}

function pyRoundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** AdaptiveSnapKVCluster.update_kv (GQA support: mean), per-head ragged lists. */
export function refAdaKV(m: Heads, cfg: WindowCfg & { alpha: number }, B: number, bs: Boundaries = []): number[][] {
  const { n, Hkv } = m;
  const w = cfg.w;
  if (n <= B) return range(0, Hkv).map(() => range(0, n));
  const base = B - w;
  const floorCap = Math.trunc(base * cfg.alpha);
  const score = refWindowScores(m, cfg, true);
  const length = n - w;
  const flat: { v: number; idx: number; head: number }[] = [];
  score.forEach((s, h) => {
    const sorted = refTopIdx(s, length).map((j) => s[j]!);
    sorted.forEach((v, r) => flat.push({ v, idx: h * length + r, head: h }));
  });
  bs.push({ scores: flat.map((e) => e.v), k: Hkv * base });
  const top = [...flat].sort((a, b) => (a.v !== b.v ? b.v - a.v : a.idx - b.idx)).slice(0, Hkv * base);
  const counts = new Array<number>(Hkv).fill(0);
  for (const e of top) counts[e.head]!++;
  // float32 tensor arithmetic, torch.round
  const caps = counts.map((c) => pyRoundHalfEven(Math.fround(Math.fround(c * Math.fround(1 - cfg.alpha)) + floorCap)));
  return score.map((s, h) => {
    bs.push({ scores: s, k: caps[h]! });
    return [...asc(refTopIdx(s, caps[h]!)), ...range(n - w, n)];
  });
}

/**
 * Python's `a // r` for a non-negative integer `a` and a positive double `r`: the floor of the exact
 * rational `a / r`, with `r` decomposed into mantissa and exponent (checked against CPython on 33,200
 * cases). A plain `Math.floor(a / r)` differs often: `1 // 0.1 == 9` in Python, `Math.floor(1 / 0.1) == 10`.
 */
export function exactFloorDiv(a: number, r: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, r);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  let man = bits & ((1n << 52n) - 1n);
  let e = -1074;
  if (exp !== 0) {
    man |= 1n << 52n;
    e = exp - 1075;
  }
  let num = BigInt(a);
  let den = man;
  if (e < 0) num <<= BigInt(-e);
  else den <<= BigInt(e);
  return Number(num / den);
}

/** DynamicKV as spec §9 reads, kvkit's extra update after the last layer included. */
export function refDynamicKV(
  layers: Heads[],
  cfg: WindowCfg & { rMax: number; m: number },
  B: number,
  bs: Boundaries = [],
): { kept: number[][][]; held: number[] } {
  const L = layers.length;
  const { n, Hkv } = layers[0]!;
  const w = cfg.w;
  if (n <= B) return { kept: layers.map(() => range(0, Hkv).map(() => range(0, n))), held: layers.map(() => n - w) };
  const b = B - w;
  const K = Math.min(cfg.rMax * b, n - w);
  const S = layers.map((m) => refWindowScores(m, cfg));
  const held = layers.map(() => Math.floor(K));
  for (let l = 0; l < L; l++) {
    if (!(l % cfg.m === cfg.m - 1 || l === L - 1)) continue;
    const all: { v: number; layer: number; head: number; j: number }[] = [];
    for (let j = 0; j <= l; j++) S[j]!.forEach((row, h) => row.forEach((v, p) => all.push({ v, layer: j, head: h, j: p })));
    const T = b * Hkv * (l + 1);
    bs.push({ scores: all.map((e) => e.v), k: T });
    all.sort((x, y) => (x.v !== y.v ? y.v - x.v : x.layer - y.layer || x.head - y.head || x.j - y.j));
    const inLayer = new Array<number>(l + 1).fill(0);
    for (const e of all.slice(0, T)) inLayer[e.layer]!++;
    const count = inLayer.map((c) => Math.floor(c / (l + 1)));
    if (l === L - 1) count[l]! += b * Hkv - count.reduce((x, y) => x + y, 0);
    const sc = count.reduce((x, y) => x + y, 0);
    if (sc === 0) continue;
    let budget = count.map((c) => Math.trunc(K * (c / sc)));
    const r = budget.reduce((x, y) => x + y, 0) / (b * L);
    if (r === 0) continue;
    budget = budget.map((x) => exactFloorDiv(x, r)); // Python's int(x // r)
    budget[l]! += b * L - budget.reduce((x, y) => x + y, 0);
    budget = budget.map((x) => Math.min(x, n - w));
    budget.forEach((x, j) => (held[j] = Math.min(held[j]!, x)));
  }
  const kept = S.map((rows, l) =>
    rows.map((s) => {
      bs.push({ scores: s, k: held[l]! });
      return [...asc(refTopIdx(s, held[l]!)), ...range(n - w, n)];
    }),
  );
  return { kept, held };
}

/** H2O prefill (the toolkits' H2OKVCluster): column sums over every query, top hh of j < n - r, plus the last r. */
export function refH2O(m: Heads, hh: number, r: number, normalize: boolean, bs: Boundaries = []): number[][] {
  const { n } = m;
  if (n <= hh + r) return range(0, m.Hkv).map(() => range(0, n));
  const cols = attentionSums(m, 0).map((row) => row.slice(0, n - r).map((v, j) => (normalize ? v / (n - j) : v)));
  return refGqa(cols, m.Hkv).map((s) => {
    bs.push({ scores: s, k: hh });
    return [...asc(refTopIdx(s, hh)), ...range(n - r, n)];
  });
}
