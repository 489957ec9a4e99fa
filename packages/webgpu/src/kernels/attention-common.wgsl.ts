// Pieces shared by the attention kernels: the parameters, the paged-view lookups and the tiled
// online-softmax loop over keys. Host arrays of the view (page table, lengths, positions) and the
// query positions are uploaded per call into one i32 array `meta`, at the offsets in Params.
import type { ParamFields } from './kernel.js';

export const ATTENTION_PARAMS: ParamFields = [
  ['m', 'u32'],
  ['nHeads', 'u32'],
  ['group', 'u32'], // query heads per KV head
  ['cap', 'u32'], // logical slots per head (pagesPerHead * pageSize)
  ['pageSize', 'u32'],
  ['pagesPerHead', 'u32'],
  ['oPageTable', 'u32'],
  ['oLengths', 'u32'],
  ['oPositions', 'u32'],
  ['oQueryPositions', 'u32'],
  ['scale', 'f32'],
  ['window', 'i32'], // sliding window (0x7fffffff: none)
  ['chunk', 'u32'], // keys per workgroup (split decode)
  ['nChunks', 'u32'],
  ['winQueries', 'u32'], // stats: the last winQueries queries make up windowSums
  ['nKv', 'u32'],
  ['residual', 'u32'], // KIVI: rows of each head's residual ring
  ['oKivi', 'u32'], // KIVI: keyQuantized, valueQuantized, ringBase (nKv each) in kv_meta
];

/** Keys scored per tile (= invocations per workgroup). */
export const ATTENTION_TILE = 64;

export const VIEW_LOOKUPS = /* wgsl */ `
fn pool_row(kh: u32, j: u32) -> u32 {
  let page = kv_meta[p.oPageTable + kh * p.pagesPerHead + j / p.pageSize];
  return u32(page) * p.pageSize + j % p.pageSize;
}
/** Causal by position, and inside the sliding window. */
fn visible(kh: u32, j: u32, qp: i32) -> bool {
  let kp = kv_meta[p.oPositions + kh * p.cap + j];
  return kp <= qp && kp > qp - p.window;
}
`;

/** Channels of the head each invocation accumulates. */
export function channelsPerInvocation(headDim: number): number {
  return Math.ceil(headDim / ATTENTION_TILE);
}

/**
 * Workgroup declarations and the body that runs the online softmax of query row `qo` (query i, head
 * h, KV head kh) over logical keys [j0, j1), leaving the running max `M`, sum `L` and unnormalised
 * output `acc` (channel t + 64 * ci in acc[ci]). Keys and values are read through key_src/key_at and
 * val_src/val_at (kv-read.wgsl.ts); without `values` only M and L are computed.
 */
export function onlineSoftmaxWgsl(headDim: number, values = true): { decls: string; body: string } {
  const cpt = channelsPerInvocation(headDim);
  const decls = /* wgsl */ `
const D = ${headDim}u;
const CPT = ${cpt}u;
var<workgroup> qv: array<f32, ${headDim}>;
var<workgroup> sc: array<f32, 64>;
var<workgroup> vsrc: array<vec2<u32>, 64>;
`;
  // Per tile of 64 keys: each invocation scores one key into workgroup memory; after one barrier every
  // invocation reads the 64 scores itself (the tile max, the exponentials and their sum are the same
  // sequence of operations in every invocation, so M and L agree everywhere) and accumulates its
  // channels of V. Two barriers per tile instead of two tree reductions.
  const body = /* wgsl */ `
  for (var c = t; c < D; c += 64u) { qv[c] = q[qo + c]; }
  workgroupBarrier();
  var M = -3.0e38;
  var L = 0.0;
  var acc: array<f32, CPT>;
  for (var base = j0; base < j1; base += 64u) {
    let j = base + t;
    var s = -3.0e38;
    var vs = vec2<u32>(0u, 0u);
    if (j < j1) {
      if (visible(kh, j, qp)) {
        let row = pool_row(kh, j);
        let ks = key_src(kh, j, row);
        var dot = 0.0;
        for (var c = 0u; c < D; c++) { dot += qv[c] * key_at(ks, c); }
        s = dot * p.scale;
        ${values ? 'vs = val_src(kh, j, row);' : ''}
      }
    }
    sc[t] = s;
    vsrc[t] = vs;
    workgroupBarrier();
    let n = min(64u, j1 - base);
    var tileMax = -3.0e38;
    for (var u = 0u; u < n; u++) { tileMax = max(tileMax, sc[u]); }
    let newM = max(M, tileMax);
    let corr = exp(M - newM);
    var tileSum = 0.0;
    for (var ci = 0u; ci < CPT; ci++) { acc[ci] = acc[ci] * corr; }
    for (var u = 0u; u < n; u++) {
      let su = sc[u];
      if (su > -1.0e38) {
        let e = exp(su - newM);
        tileSum += e;
        ${
          values
            ? `let vsu = vsrc[u];
        for (var ci = 0u; ci < CPT; ci++) {
          let c = t + ci * 64u;
          if (c < D) { acc[ci] += e * val_at(vsu, c); }
        }`
            : ''
        }
      }
    }
    L = L * corr + tileSum;
    M = newM;
    workgroupBarrier();
  }
`;
  return { decls, body };
}
