// The statistics the cache policies read, on the GPU: for each (query head h, logical slot j), the
// attention probability it received, recomputed from the (max, sum) the attention pass kept per
// (query, head). columnSums[h, j] += the sum over every query of the call; windowSums[h, j] is
// overwritten with the sum over the last `winQueries` queries (0 past the head's length). One
// invocation per (h, j), queries in order: deterministic, no float atomics.
import type { KernelSpec } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';
import { ATTENTION_PARAMS, VIEW_LOOKUPS } from './attention-common.wgsl.js';
import type { KvLayout } from './kv-read.wgsl.js';
import { kvBindings, kvLayoutKey, kvReadWgsl } from './kv-read.wgsl.js';

export function attentionStatsKernel(headDim: number, columnSums: boolean, windowSums: boolean, layout: KvLayout = { kind: 'f32' }): KernelSpec {
  const decls: (readonly ['uniform' | 'read' | 'rw', string, string])[] = [
    ['uniform', 'p', 'Params'],
    ['read', 'kv_meta', 'array<i32>'],
    ['read', 'q', 'array<f32>'],
    ...kvBindings(layout, true),
    ['read', 'ml', 'array<vec2<f32>>'],
  ];
  if (columnSums) decls.push(['rw', 'col', 'array<f32>']);
  if (windowSums) decls.push(['rw', 'win', 'array<f32>']);
  const code = /* wgsl */ `
${paramsStruct(ATTENTION_PARAMS)}
${bindingDecls(decls)}
${LINEAR_WORKGROUP}
${VIEW_LOOKUPS}
const D = ${headDim}u;
${kvReadWgsl(layout, headDim, true)}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = linear_wg(wid, nwg) * 64u + t;
  if (e >= p.nHeads * p.cap) { return; }
  let h = e / p.cap;
  let j = e % p.cap;
  let kh = h / p.group;
  if (j >= u32(kv_meta[p.oLengths + kh])) {
    ${windowSums ? 'win[e] = 0.0;' : ''}
    return;
  }
  let row = pool_row(kh, j);
  let ks = key_src(kh, j, row);
  var cs = 0.0;
  var ws = 0.0;
  for (var i = 0u; i < p.m; i++) {
    let qp = kv_meta[p.oQueryPositions + i];
    if (!visible(kh, j, qp)) { continue; }
    let st = ml[i * p.nHeads + h];
    if (st.y <= 0.0) { continue; }
    let qo = (i * p.nHeads + h) * D;
    var dot = 0.0;
    for (var c = 0u; c < D; c++) { dot += q[qo + c] * key_at(ks, c); }
    let pr = exp(dot * p.scale - st.x) / st.y;
    cs += pr;
    if (i + p.winQueries >= p.m) { ws += pr; }
  }
  ${columnSums ? 'col[e] = col[e] + cs;' : ''}
  ${windowSums ? 'win[e] = ws;' : ''}
}
`;
  return {
    key: `attention-stats-d${headDim}-${+columnSums}${+windowSums}${kvLayoutKey(layout)}`,
    code,
    bindings: decls.map(([k]) => k),
    params: ATTENTION_PARAMS,
    workgroupSize: 64,
  };
}
