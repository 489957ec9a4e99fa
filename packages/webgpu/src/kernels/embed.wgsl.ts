// out[i, :] = table[tokens[i], :] for a table of any dtype, decoded in the kernel (exact: a block
// value q * d fits f32). One dispatch per row chunk of a split table; tokens outside it are skipped.
import type { DType } from '@kvkit/tensor';
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';
import { weightDecodeWgsl } from './weight-decode.wgsl.js';

const PARAMS: ParamFields = [
  ['count', 'u32'], // tokens * dim
  ['dim', 'u32'],
  ['row0', 'u32'], // first table row in this chunk
  ['rows', 'u32'],
];

export function embedKernel(dtype: DType): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'tokens', 'array<i32>'],
  ['read', 'w', 'array<u32>'],
  ['rw', 'out', 'array<f32>'],
])}
${LINEAR_WORKGROUP}
${weightDecodeWgsl(dtype)}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = linear_wg(wid, nwg) * 256u + t;
  if (e >= p.count) { return; }
  let i = e / p.dim;
  let j = e % p.dim;
  let tok = u32(tokens[i]);
  if (tok < p.row0 || tok >= p.row0 + p.rows) { return; }
  out[e] = w_at(tok - p.row0, j, p.dim);
}
`;
  return { key: `embed-${dtype}`, code, bindings: ['uniform', 'read', 'read', 'rw'], params: PARAMS, workgroupSize: 256 };
}
