// Softmax in place over rows: one row per workgroup, max then sum of exponentials by tree
// reductions. -Infinity entries (masked scores) get exactly 0 without evaluating exp(-inf).
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, LINEAR_WORKGROUP, paramsStruct, treeReduce } from './kernel.js';

const PARAMS: ParamFields = [
  ['rows', 'u32'],
  ['d', 'u32'],
];

export function softmaxKernel(): KernelSpec {
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['rw', 'x', 'array<f32>'],
])}
${LINEAR_WORKGROUP}
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let row = linear_wg(wid, nwg);
  if (row >= p.rows) { return; }
  let off = row * p.d;
  var mx = -3.4e38;
  for (var j = t; j < p.d; j += 256u) { mx = max(mx, x[off + j]); }
  red[t] = mx;
  ${treeReduce('max', 256)}
  mx = red[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var j = t; j < p.d; j += 256u) {
    let v = x[off + j];
    let e = select(exp(v - mx), 0.0, v < -3.4e38);
    x[off + j] = e;
    sum += e;
  }
  red[t] = sum;
  ${treeReduce('sum', 256)}
  let inv = 1.0 / red[0];
  for (var j = t; j < p.d; j += 256u) { x[off + j] = x[off + j] * inv; }
}
`;
  return { key: 'softmax', code, bindings: ['uniform', 'rw'], params: PARAMS, workgroupSize: 256 };
}
