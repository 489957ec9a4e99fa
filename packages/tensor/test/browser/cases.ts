// The inputs of the browser threads test, shared by the page (which runs them on the WASM backend)
// and the Node side (which computes the float64 references): seeded, so both sides build the same.

/** Seeded uniform values in [-scale, scale). */
export function rand(n: number, seed: number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return v;
}

/** out[m, n] = x[m, k] · w[n, k]^T, with f32 and Q8_0 weights (Q8_0 uses per-thread scratch). */
export const MATMUL = { m: 3, n: 96, k: 256 } as const;
export const matmulX = () => rand(MATMUL.m * MATMUL.k, 11);
export const matmulW = () => rand(MATMUL.n * MATMUL.k, 12, 1 / Math.sqrt(MATMUL.k));

/** Attention of 2 query rows over a paged f32 cache: 8 query heads on 2 KV heads, ragged lengths. */
export const ATTN = { nHeads: 8, nKvHeads: 2, d: 32, pageSize: 16, pagesPerHead: 8, scale: 1 / Math.sqrt(32), lengths: [100, 77], queryPositions: [120, 60] } as const;
export const ATTN_CAP = ATTN.pageSize * ATTN.pagesPerHead;
/** Head h's logical page p sits at pool page (h * pagesPerHead + p) * 5 mod (all pages): scattered, one-to-one. */
export const attnPageTable = () => Int32Array.from({ length: ATTN.nKvHeads * ATTN.pagesPerHead }, (_, i) => (i * 5) % (ATTN.nKvHeads * ATTN.pagesPerHead));
/** Slot j holds token position 2j (so the causal mask cuts inside the cache). */
export const attnPositions = () => Int32Array.from({ length: ATTN.nKvHeads * ATTN_CAP }, (_, i) => (i % ATTN_CAP) * 2);
export const attnK = () => rand(ATTN.nKvHeads * ATTN_CAP * ATTN.d, 21, 2);
export const attnV = () => rand(ATTN.nKvHeads * ATTN_CAP * ATTN.d, 22);
export const attnQ = () => rand(ATTN.queryPositions.length * ATTN.nHeads * ATTN.d, 23);
