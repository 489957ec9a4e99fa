// GEMM for prefill (m > 1): 16 x 16 output tiles per workgroup (16 rows of x by 16 weight rows), k in
// steps of 32 through workgroup memory. Weights of any dtype are dequantised while the tile is
// loaded (block dtypes: one block row of 32 values per step), never as a whole matrix.
import type { DType } from '@kvkit/tensor';
import type { KernelSpec } from './kernel.js';
import { bindingDecls, paramsStruct } from './kernel.js';
import { MATMUL_PARAMS } from './matmul-params.js';
import { weightDecodeWgsl } from './weight-decode.wgsl.js';

export const GEMM_TILE = 16;

export function gemmKernel(dtype: DType): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(MATMUL_PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'x', 'array<f32>'],
  ['read', 'w', 'array<u32>'],
  ['rw', 'out', 'array<f32>'],
])}
${weightDecodeWgsl(dtype)}
// Rows of 33 to keep the column reads of the inner loop off one memory bank.
var<workgroup> xs: array<f32, ${16 * 33}>;
var<workgroup> ws: array<f32, ${16 * 33}>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let r0 = wid.x * 16u;
  let i0 = wid.y * 16u;
  let ti = t / 16u;
  let tr = t % 16u;
  var acc = 0.0;
  for (var k0 = 0u; k0 < p.k; k0 += 32u) {
    for (var e = t; e < 512u; e += 256u) {
      let row = e / 32u;
      let kk = e % 32u;
      let k = k0 + kk;
      var xv = 0.0;
      if (i0 + row < p.m && k < p.k) { xv = x[(i0 + row) * p.k + k]; }
      xs[row * 33u + kk] = xv;
      var wv = 0.0;
      if (r0 + row < p.rows && k < p.k) { wv = w_at(r0 + row, k, p.k); }
      ws[row * 33u + kk] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 32u; kk++) { acc += xs[ti * 33u + kk] * ws[tr * 33u + kk]; }
    workgroupBarrier();
  }
  if (i0 + ti < p.m && r0 + tr < p.rows) { out[(i0 + ti) * p.n + p.col0 + r0 + tr] = acc; }
}
`;
  return { key: `gemm-${dtype}`, code, bindings: ['uniform', 'read', 'read', 'rw'], params: MATMUL_PARAMS, workgroupSize: 256 };
}
