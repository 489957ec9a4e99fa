// Copy row from[i] to to[i] of K and V, in order (compaction after eviction), for rows of any format.
// `words`: rows are whole u32 words, one invocation per (pool, word) runs the moves in sequence, so a
// later move that reads an earlier target sees it and no invocation depends on another. Otherwise
// (rows of an odd number of halves or bytes) one invocation per pool moves byte by byte.
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, paramsStruct } from './kernel.js';

const PARAMS: ParamFields = [
  ['moves', 'u32'],
  ['row', 'u32'], // row length in words (words) or bytes
];

export function kvMoveKernel(words: boolean): KernelSpec {
  const body = words
    ? /* wgsl */ `
  let g = gid.x;
  if (g < p.row) {
    for (var i = 0u; i < p.moves; i++) {
      let ft = fromTo[i];
      k[u32(ft.y) * p.row + g] = k[u32(ft.x) * p.row + g];
    }
  } else if (g < 2u * p.row) {
    let c = g - p.row;
    for (var i = 0u; i < p.moves; i++) {
      let ft = fromTo[i];
      v[u32(ft.y) * p.row + c] = v[u32(ft.x) * p.row + c];
    }
  }`
    : /* wgsl */ `
  if (gid.x == 0u) {
    for (var i = 0u; i < p.moves; i++) {
      let ft = fromTo[i];
      for (var b = 0u; b < p.row; b++) { put_k(u32(ft.y) * p.row + b, get_k(u32(ft.x) * p.row + b)); }
    }
  } else if (gid.x == 1u) {
    for (var i = 0u; i < p.moves; i++) {
      let ft = fromTo[i];
      for (var b = 0u; b < p.row; b++) { put_v(u32(ft.y) * p.row + b, get_v(u32(ft.x) * p.row + b)); }
    }
  }`;
  const bytes = words
    ? ''
    : ['k', 'v']
        .map(
          (t) => /* wgsl */ `
fn get_${t}(o: u32) -> u32 { return (${t}[o >> 2u] >> ((o & 3u) * 8u)) & 0xffu; }
fn put_${t}(o: u32, b: u32) {
  let sh = (o & 3u) * 8u;
  ${t}[o >> 2u] = (${t}[o >> 2u] & ~(0xffu << sh)) | (b << sh);
}`,
        )
        .join('\n');
  const code = /* wgsl */ `
${paramsStruct(PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'fromTo', 'array<vec2<i32>>'],
  ['rw', 'k', 'array<u32>'],
  ['rw', 'v', 'array<u32>'],
])}
${bytes}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {${body}
}
`;
  return { key: `kv-move${words ? '' : '-bytes'}`, code, bindings: ['uniform', 'read', 'rw', 'rw'], params: PARAMS, workgroupSize: 64 };
}
