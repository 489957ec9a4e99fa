// Attention of m queries over the paged, ragged per-KV-head cache: one workgroup per (query, head),
// keys in tiles of 64 with an online softmax (FlashAttention-style, never an m x n score matrix).
// With `stats`, the final (max, sum) of each (query, head) is kept for the statistics kernel.
import type { KernelSpec } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';
import { ATTENTION_PARAMS, onlineSoftmaxWgsl, VIEW_LOOKUPS } from './attention-common.wgsl.js';
import type { KvLayout } from './kv-read.wgsl.js';
import { kvBindings, kvLayoutKey, kvReadWgsl } from './kv-read.wgsl.js';

export function attentionPrefillKernel(headDim: number, stats: boolean, layout: KvLayout = { kind: 'f32' }): KernelSpec {
  const { decls, body } = onlineSoftmaxWgsl(headDim);
  const pools = kvBindings(layout);
  const code = /* wgsl */ `
${paramsStruct(ATTENTION_PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'kv_meta', 'array<i32>'],
  ['read', 'q', 'array<f32>'],
  ...pools,
  ['rw', 'out', 'array<f32>'],
  ...(stats ? [['rw', 'ml', 'array<vec2<f32>>'] as const] : []),
])}
${LINEAR_WORKGROUP}
${VIEW_LOOKUPS}
${decls}
${kvReadWgsl(layout, headDim)}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let wg = linear_wg(wid, nwg);
  if (wg >= p.m * p.nHeads) { return; }
  let i = wg / p.nHeads;
  let h = wg % p.nHeads;
  let kh = h / p.group;
  let qp = kv_meta[p.oQueryPositions + i];
  let qo = (i * p.nHeads + h) * D;
  let j0 = 0u;
  let j1 = u32(kv_meta[p.oLengths + kh]);
${body}
  let inv = select(0.0, 1.0 / L, L > 0.0);
  for (var ci = 0u; ci < CPT; ci++) {
    let c = t + ci * 64u;
    if (c < D) { out[qo + c] = acc[ci] * inv; }
  }
  ${stats ? 'if (t == 0u) { ml[wg] = vec2<f32>(M, L); }' : ''}
}
`;
  return {
    key: `attention-prefill-d${headDim}${stats ? '-stats' : ''}${kvLayoutKey(layout)}`,
    code,
    bindings: ['uniform', 'read', 'read', ...pools.map(([k]) => k), 'rw', ...(stats ? (['rw'] as const) : [])],
    params: ATTENTION_PARAMS,
    workgroupSize: 64,
  };
}

/**
 * The (max, sum) of each (query, head) alone, keys only: for the statistics where the prefill kernel
 * cannot also bind `ml` (KIVI binds K, V, key parameters and both rings: nine storage buffers with
 * `ml`, one more than WebGPU's default limit of eight).
 */
export function attentionMaxSumKernel(headDim: number, layout: KvLayout): KernelSpec {
  const { decls, body } = onlineSoftmaxWgsl(headDim, false);
  const pools = kvBindings(layout, true);
  const code = /* wgsl */ `
${paramsStruct(ATTENTION_PARAMS)}
${bindingDecls([['uniform', 'p', 'Params'], ['read', 'kv_meta', 'array<i32>'], ['read', 'q', 'array<f32>'], ...pools, ['rw', 'ml', 'array<vec2<f32>>']])}
${LINEAR_WORKGROUP}
${VIEW_LOOKUPS}
${decls}
${kvReadWgsl(layout, headDim, true)}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let wg = linear_wg(wid, nwg);
  if (wg >= p.m * p.nHeads) { return; }
  let i = wg / p.nHeads;
  let h = wg % p.nHeads;
  let kh = h / p.group;
  let qp = kv_meta[p.oQueryPositions + i];
  let qo = (i * p.nHeads + h) * D;
  let j0 = 0u;
  let j1 = u32(kv_meta[p.oLengths + kh]);
${body}
  if (t == 0u) { ml[wg] = vec2<f32>(M, L); }
}
`;
  return {
    key: `attention-max-sum-d${headDim}${kvLayoutKey(layout)}`,
    code,
    bindings: ['uniform', 'read', 'read', ...pools.map(([k]) => k), 'rw'],
    params: ATTENTION_PARAMS,
    workgroupSize: 64,
  };
}
