// dst[dstOffset + e] = src[srcOffset + e]. `sameBuffer`: src is dst (non-overlapping ranges only;
// overlapping copies go through a temporary).
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';

const PARAMS: ParamFields = [
  ['count', 'u32'],
  ['srcOffset', 'u32'],
  ['dstOffset', 'u32'],
];

export function copyKernel(sameBuffer: boolean): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls([['uniform', 'p', 'Params'], ['rw', 'dst', 'array<f32>'], ...(sameBuffer ? [] : [['read', 'src', 'array<f32>'] as const])])}
${LINEAR_WORKGROUP}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = linear_wg(wid, nwg) * 256u + t;
  if (e >= p.count) { return; }
  dst[p.dstOffset + e] = ${sameBuffer ? 'dst' : 'src'}[p.srcOffset + e];
}
`;
  return { key: `copy${sameBuffer ? '-same' : ''}`, code, bindings: sameBuffer ? ['uniform', 'rw'] : ['uniform', 'rw', 'read'], params: PARAMS, workgroupSize: 256 };
}
