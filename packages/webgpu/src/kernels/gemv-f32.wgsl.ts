// GEMV for decoding (m = 1) over f32 weights: one weight row per workgroup, 64 invocations striding
// along k (coalesced reads), a tree reduction at the end.
import type { KernelSpec } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct, treeReduce } from './kernel.js';
import { MATMUL_PARAMS } from './matmul-params.js';

export const GEMV_WORKGROUP = 64;

export function gemvF32Kernel(): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(MATMUL_PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'x', 'array<f32>'],
  ['read', 'w', 'array<f32>'],
  ['rw', 'out', 'array<f32>'],
])}
${LINEAR_WORKGROUP}
var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let r = linear_wg(wid, nwg);
  if (r >= p.rows) { return; }
  let base = r * p.k;
  var s = 0.0;
  for (var j = t; j < p.k; j += 64u) { s += x[j] * w[base + j]; }
  red[t] = s;
  ${treeReduce('sum', 64)}
  if (t == 0u) { out[p.col0 + r] = red[0]; }
}
`;
  return { key: 'gemv-f32', code, bindings: ['uniform', 'read', 'read', 'rw'], params: MATMUL_PARAMS, workgroupSize: 64 };
}
