// GEMV for short rows (k <= GEMV_ROWS_MAX_K), any weight dtype: one invocation per output row, the dot
// product in sequence, no workgroup memory and no barriers. Small matrices have too few rows per
// workgroup-per-row kernel to fill a GPU anyway, and software adapters pay per barrier.
import type { DType } from '@kvkit/tensor';
import type { KernelSpec } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';
import { MATMUL_PARAMS } from './matmul-params.js';
import { weightDecodeWgsl } from './weight-decode.wgsl.js';

export const GEMV_ROWS_MAX_K = 512;

export function gemvRowsKernel(dtype: DType): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(MATMUL_PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'x', 'array<f32>'],
  ['read', 'w', 'array<u32>'],
  ['rw', 'out', 'array<f32>'],
])}
${LINEAR_WORKGROUP}
${weightDecodeWgsl(dtype)}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = linear_wg(wid, nwg) * 64u + t;
  if (e >= p.rows * p.m) { return; }
  let i = e / p.rows;
  let r = e % p.rows;
  var s = 0.0;
  for (var j = 0u; j < p.k; j++) { s += x[i * p.k + j] * w_at(r, j, p.k); }
  out[i * p.n + p.col0 + r] = s;
}
`;
  return { key: `gemv-rows-${dtype}`, code, bindings: ['uniform', 'read', 'read', 'rw'], params: MATMUL_PARAMS, workgroupSize: 64 };
}
