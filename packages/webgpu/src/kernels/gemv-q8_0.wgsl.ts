// GEMV for decoding over Q8_0 weights kept packed: blocks of 34 bytes (f16 scale + 32 int8). Four
// invocations share a block (8 values each, read as 16-bit halves of the u32 words), the int8
// products are summed before scaling by d, as ggml does.
import type { KernelSpec } from './kernel.js';
import { bindingDecls, F16_BITS, LINEAR_WORKGROUP, paramsStruct, treeReduce } from './kernel.js';
import { MATMUL_PARAMS } from './matmul-params.js';

export function gemvQ8_0Kernel(): KernelSpec {
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
fn sext8(b: u32) -> f32 { return f32(bitcast<i32>(b << 24u) >> 24u); }
var<workgroup> red: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let r = linear_wg(wid, nwg);
  if (r >= p.rows) { return; }
  let nb = p.k / 32u;
  let quarter = t & 3u;
  var s = 0.0;
  for (var b = t >> 2u; b < nb; b += 16u) {
    let off = (r * nb + b) * 34u;
    let d = f16_bits(w_half(off));
    let q0 = off + 2u + quarter * 8u;
    let x0 = b * 32u + quarter * 8u;
    var a = 0.0;
    for (var i = 0u; i < 4u; i++) {
      let h = w_half(q0 + 2u * i);
      a += sext8(h & 0xffu) * x[x0 + 2u * i] + sext8(h >> 8u) * x[x0 + 2u * i + 1u];
    }
    s += d * a;
  }
  red[t] = s;
  ${treeReduce('sum', 64)}
  if (t == 0u) { out[p.col0 + r] = red[0]; }
}
`;
  return { key: 'gemv-q8_0', code, bindings: ['uniform', 'read', 'read', 'rw'], params: MATMUL_PARAMS, workgroupSize: 64 };
}
