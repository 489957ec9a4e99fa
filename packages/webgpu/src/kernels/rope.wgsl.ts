// Rotary embedding in place. cos/sin come from a host table [m, headDim / 2] (computed per position
// in float64 from the same f32 angle as the CPU backend): WGSL's sin/cos lose accuracy at large
// angles. 'adjacent' rotates pairs (2i, 2i + 1), 'half' pairs (i, i + d/2).
import type { RopeLayout } from '@kvkit/tensor';
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';

const PARAMS: ParamFields = [
  ['count', 'u32'], // m * nHeads * half
  ['nHeads', 'u32'],
  ['half', 'u32'],
];

export function ropeKernel(layout: RopeLayout): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'table', 'array<vec2<f32>>'],
  ['rw', 'x', 'array<f32>'],
])}
${LINEAR_WORKGROUP}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = linear_wg(wid, nwg) * 256u + t;
  if (e >= p.count) { return; }
  let i = e / (p.nHeads * p.half);
  let rest = e % (p.nHeads * p.half);
  let h = rest / p.half;
  let q = rest % p.half;
  let base = (i * p.nHeads + h) * 2u * p.half;
  ${layout === 'adjacent' ? 'let a = base + 2u * q;\n  let b = a + 1u;' : 'let a = base + q;\n  let b = a + p.half;'}
  let cs = table[i * p.half + q];
  let v0 = x[a];
  let v1 = x[b];
  x[a] = v0 * cs.x - v1 * cs.y;
  x[b] = v0 * cs.y + v1 * cs.x;
}
`;
  return { key: `rope-${layout}`, code, bindings: ['uniform', 'read', 'rw'], params: PARAMS, workgroupSize: 256 };
}
