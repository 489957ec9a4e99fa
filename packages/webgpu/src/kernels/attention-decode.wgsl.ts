// Decode attention (one query) over the paged, ragged per-KV-head cache, flash-decoding style: the
// keys of each head are split into chunks, one workgroup per (head, chunk) makes one pass over its
// K/V rows (online softmax over tiles of 64), writing a partial (acc[D], max, sum); the combine
// kernel merges the chunks of each head.
import type { KernelSpec } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';
import { ATTENTION_PARAMS, onlineSoftmaxWgsl, VIEW_LOOKUPS } from './attention-common.wgsl.js';
import type { KvLayout } from './kv-read.wgsl.js';
import { kvBindings, kvLayoutKey, kvReadWgsl } from './kv-read.wgsl.js';

/** Keys per workgroup of the split pass. */
export const DECODE_CHUNK = 256;

export function attentionDecodeKernel(headDim: number, layout: KvLayout = { kind: 'f32' }): KernelSpec {
  const { decls, body } = onlineSoftmaxWgsl(headDim);
  const pools = kvBindings(layout);
  const code = /* wgsl */ `
${paramsStruct(ATTENTION_PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'kv_meta', 'array<i32>'],
  ['read', 'q', 'array<f32>'],
  ...pools,
  ['rw', 'part', 'array<f32>'],
])}
${LINEAR_WORKGROUP}
${VIEW_LOOKUPS}
${decls}
${kvReadWgsl(layout, headDim)}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let wg = linear_wg(wid, nwg);
  if (wg >= p.nHeads * p.nChunks) { return; }
  let h = wg / p.nChunks;
  let chunk = wg % p.nChunks;
  let kh = h / p.group;
  let qp = kv_meta[p.oQueryPositions];
  let qo = h * D;
  let len = u32(kv_meta[p.oLengths + kh]);
  let j0 = min(len, chunk * p.chunk);
  let j1 = min(len, j0 + p.chunk);
${body}
  let po = wg * (D + 2u);
  for (var ci = 0u; ci < CPT; ci++) {
    let c = t + ci * 64u;
    if (c < D) { part[po + c] = acc[ci]; }
  }
  if (t == 0u) {
    part[po + D] = M;
    part[po + D + 1u] = L;
  }
}
`;
  return {
    key: `attention-decode-d${headDim}${kvLayoutKey(layout)}`,
    code,
    bindings: ['uniform', 'read', 'read', ...pools.map(([k]) => k), 'rw'],
    params: ATTENTION_PARAMS,
    workgroupSize: 64,
  };
}

/** Merge the chunk partials of each head: out = sum_c acc_c e^(M_c - M) / sum_c L_c e^(M_c - M). */
export function attentionCombineKernel(headDim: number, stats: boolean): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(ATTENTION_PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'part', 'array<f32>'],
  ['rw', 'out', 'array<f32>'],
  ...(stats ? [['rw', 'ml', 'array<vec2<f32>>'] as const] : []),
])}
const D = ${headDim}u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let h = wid.x;
  let base = h * p.nChunks * (D + 2u);
  var M = -3.0e38;
  for (var c = 0u; c < p.nChunks; c++) { M = max(M, part[base + c * (D + 2u) + D]); }
  var L = 0.0;
  for (var c = 0u; c < p.nChunks; c++) {
    let po = base + c * (D + 2u);
    L += part[po + D + 1u] * exp(part[po + D] - M);
  }
  let inv = select(0.0, 1.0 / L, L > 0.0);
  for (var ch = t; ch < D; ch += 64u) {
    var o = 0.0;
    for (var c = 0u; c < p.nChunks; c++) {
      let po = base + c * (D + 2u);
      o += part[po + ch] * exp(part[po + D] - M);
    }
    out[h * D + ch] = o * inv;
  }
  ${stats ? 'if (t == 0u) { ml[h] = vec2<f32>(M, L); }' : ''}
}
`;
  return {
    key: `attention-combine-d${headDim}${stats ? '-stats' : ''}`,
    code,
    bindings: ['uniform', 'read', 'rw', ...(stats ? (['rw'] as const) : [])],
    params: ATTENTION_PARAMS,
    workgroupSize: 64,
  };
}
