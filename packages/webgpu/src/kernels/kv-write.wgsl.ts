// Write new keys/values [m, nKv * d] into pool slots: entry e = i * nKv + h goes to slots[e]
// (slots < 0 are skipped: the host drops all but the last write to a slot).
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';

const PARAMS: ParamFields = [
  ['count', 'u32'], // entries * d
  ['d', 'u32'],
];

export function kvWriteKernel(): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'slots', 'array<i32>'],
  ['read', 'newK', 'array<f32>'],
  ['read', 'newV', 'array<f32>'],
  ['rw', 'k', 'array<f32>'],
  ['rw', 'v', 'array<f32>'],
])}
${LINEAR_WORKGROUP}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = linear_wg(wid, nwg) * 256u + t;
  if (e >= p.count) { return; }
  let slot = slots[e / p.d];
  if (slot < 0) { return; }
  let dst = u32(slot) * p.d + e % p.d;
  k[dst] = newK[e];
  v[dst] = newV[e];
}
`;
  return { key: 'kv-write', code, bindings: ['uniform', 'read', 'read', 'read', 'rw', 'rw'], params: PARAMS, workgroupSize: 256 };
}
