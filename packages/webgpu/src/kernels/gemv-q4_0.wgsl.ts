// GEMV for decoding over Q4_0 weights kept packed: blocks of 18 bytes (f16 scale + 16 bytes of
// nibbles: value j in the low nibble of byte j, value j + 16 in the high one). Four invocations share
// a block, 4 bytes (8 values) each, read as 16-bit halves of the u32 words.
import type { KernelSpec } from './kernel.js';
import { bindingDecls, F16_BITS, LINEAR_WORKGROUP, paramsStruct, treeReduce } from './kernel.js';
import { MATMUL_PARAMS } from './matmul-params.js';

export function gemvQ4_0Kernel(): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(MATMUL_PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'x', 'array<f32>'],
  ['read', 'w', 'array<u32>'],
  ['rw', 'out', 'array<f32>'],
])}
${LINEAR_WORKGROUP}
${F16_BITS}
fn w_half(off: u32) -> u32 { return (w[off >> 2u] >> ((off & 2u) * 8u)) & 0xffffu; }
var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let r = linear_wg(wid, nwg);
  if (r >= p.rows) { return; }
  let nb = p.k / 32u;
  let quarter = t & 3u;
  var s = 0.0;
  for (var b = t >> 2u; b < nb; b += 16u) {
    let off = (r * nb + b) * 18u;
    let d = f16_bits(w_half(off));
    let j0 = quarter * 4u;
    let x0 = b * 32u + j0;
    var a = 0.0;
    for (var i = 0u; i < 2u; i++) {
      let h = w_half(off + 2u + j0 + 2u * i);
      let b0 = h & 0xffu;
      let b1 = h >> 8u;
      let j = x0 + 2u * i;
      a += (f32(b0 & 15u) - 8.0) * x[j] + (f32(b0 >> 4u) - 8.0) * x[j + 16u];
      a += (f32(b1 & 15u) - 8.0) * x[j + 1u] + (f32(b1 >> 4u) - 8.0) * x[j + 17u];
    }
    s += d * a;
  }
  red[t] = s;
  ${treeReduce('sum', 64)}
  if (t == 0u) { out[p.col0 + r] = red[0]; }
}
`;
  return { key: 'gemv-q4_0', code, bindings: ['uniform', 'read', 'read', 'rw'], params: MATMUL_PARAMS, workgroupSize: 64 };
}
