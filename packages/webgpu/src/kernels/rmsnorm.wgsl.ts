// out = x / sqrt(mean(x^2) + eps) * weight, one row per workgroup. `inPlace`: out is x (bound once,
// since WebGPU forbids a writable binding aliasing another).
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct, treeReduce } from './kernel.js';

const PARAMS: ParamFields = [
  ['rows', 'u32'],
  ['d', 'u32'],
  ['eps', 'f32'],
];

export function rmsnormKernel(inPlace: boolean): KernelSpec {
  const x = inPlace ? 'out' : 'x';
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'weight', 'array<f32>'],
  ['rw', 'out', 'array<f32>'],
  ...(inPlace ? [] : [['read', 'x', 'array<f32>'] as const]),
])}
${LINEAR_WORKGROUP}
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let row = linear_wg(wid, nwg);
  if (row >= p.rows) { return; }
  let off = row * p.d;
  var ss = 0.0;
  for (var j = t; j < p.d; j += 256u) { let v = ${x}[off + j]; ss += v * v; }
  red[t] = ss;
  ${treeReduce('sum', 256)}
  let inv = 1.0 / sqrt(red[0] / f32(p.d) + p.eps);
  for (var j = t; j < p.d; j += 256u) { out[off + j] = weight[j] * (inv * ${x}[off + j]); }
}
`;
  return {
    key: `rmsnorm${inPlace ? '-inplace' : ''}`,
    code,
    bindings: inPlace ? ['uniform', 'read', 'rw'] : ['uniform', 'read', 'rw', 'read'],
    params: PARAMS,
    workgroupSize: 256,
  };
}
