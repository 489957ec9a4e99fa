// out = silu(gate) * up = gate / (1 + e^-gate) * up. The exponent is clamped so e^-gate stays finite
// (WGSL leaves overflow undefined); the clamped result differs from the exact one by < 1e-36.
import type { BindingKind, KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';

const PARAMS: ParamFields = [['count', 'u32']];

/** `aliasGate` / `aliasUp`: that input is the output tensor (read through the output binding). */
export function siluMulKernel(aliasGate: boolean, aliasUp: boolean): KernelSpec {
  const decls: [BindingKind, string, string][] = [
    ['uniform', 'p', 'Params'],
    ['rw', 'out', 'array<f32>'],
  ];
  if (!aliasGate) decls.push(['read', 'gate', 'array<f32>']);
  if (!aliasUp) decls.push(['read', 'up', 'array<f32>']);
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls(decls)}
${LINEAR_WORKGROUP}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = linear_wg(wid, nwg) * 256u + t;
  if (e >= p.count) { return; }
  let g = ${aliasGate ? 'out' : 'gate'}[e];
  let u = ${aliasUp ? 'out' : 'up'}[e];
  out[e] = g * (1.0 / (1.0 + exp(-clamp(g, -88.0, 88.0)))) * u;
}
`;
  return { key: `silu-mul-${+aliasGate}${+aliasUp}`, code, bindings: decls.map(([k]) => k), params: PARAMS, workgroupSize: 256 };
}
