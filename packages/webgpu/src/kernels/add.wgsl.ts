// out = a + b. An input that is `out` itself (x = x + o in the residual stream) is read through the
// output binding: WebGPU forbids a writable binding that aliases another.
import type { BindingKind, KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';

const PARAMS: ParamFields = [['count', 'u32']];

/** `aliasA` / `aliasB`: that input is the output tensor. */
export function addKernel(aliasA: boolean, aliasB: boolean): KernelSpec {
  const inputs = [
    ['a', aliasA],
    ['b', aliasB],
  ] as const;
  const decls: [BindingKind, string, string][] = [
    ['uniform', 'p', 'Params'],
    ['rw', 'out', 'array<f32>'],
  ];
  for (const [name, alias] of inputs) if (!alias) decls.push(['read', name, 'array<f32>']);
  const ld = (name: string, alias: boolean) => (alias ? `out[e]` : `${name}[e]`);
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls(decls)}
${LINEAR_WORKGROUP}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = linear_wg(wid, nwg) * 256u + t;
  if (e >= p.count) { return; }
  out[e] = ${ld('a', aliasA)} + ${ld('b', aliasB)};
}
`;
  return { key: `add-${+aliasA}${+aliasB}`, code, bindings: decls.map(([k]) => k), params: PARAMS, workgroupSize: 256 };
}
