// GEMV for decoding over f16 or bf16 weights kept packed (2 bytes a value): each u32 word holds two
// values, decoded in the kernel (exact f16 decode in integer arithmetic, so no shader-f16 needed).
import type { KernelSpec } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct, treeReduce } from './kernel.js';
import { MATMUL_PARAMS } from './matmul-params.js';
import { weightDecodeWgsl } from './weight-decode.wgsl.js';

export function gemvHalfKernel(dtype: 'f16' | 'bf16'): KernelSpec {
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
var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let r = linear_wg(wid, nwg);
  if (r >= p.rows) { return; }
  var s = 0.0;
  if ((p.k & 1u) == 0u) {
    // Even rows start on a word: one load gives two values.
    let base = r * (p.k / 2u);
    for (var j = t; j < p.k / 2u; j += 64u) {
      let word = w[base + j];
      s += x[2u * j] * ${dtype === 'f16' ? 'f16_bits(word & 0xffffu)' : 'bitcast<f32>(word << 16u)'};
      s += x[2u * j + 1u] * ${dtype === 'f16' ? 'f16_bits(word >> 16u)' : 'bitcast<f32>(word & 0xffff0000u)'};
    }
  } else {
    for (var j = t; j < p.k; j += 64u) { s += x[j] * w_at(r, j, p.k); }
  }
  red[t] = s;
  ${treeReduce('sum', 64)}
  if (t == 0u) { out[p.col0 + r] = red[0]; }
}
`;
  return { key: `gemv-${dtype}`, code, bindings: ['uniform', 'read', 'read', 'rw'], params: MATMUL_PARAMS, workgroupSize: 64 };
}
