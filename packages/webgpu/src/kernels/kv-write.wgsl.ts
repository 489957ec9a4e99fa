// Write new keys/values [m, nKv * d] into f32 pool slots: entry e = i * nKv + h goes to slots[e]
// (slots < 0 are skipped: the host drops all but the last write to a slot).
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, F16_BITS, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';
import { F32_TO_HALF, INT8_CODEC, putWordWgsl, U64_QUOTIENT, writeBytesWgsl } from './kv-codec.wgsl.js';

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

const ENCODED_PARAMS: ParamFields = [
  ['entries', 'u32'], // slots.length
];

/**
 * kvWrite into f16 / bf16 rows or int8 blocks, encoded exactly as the CPU backend does (kv-codec):
 * one invocation per (pool, entry, segment), a segment being 32 values of a half row or one int8
 * block (f16 scale then codes). Rows of packed bytes need not be word-aligned (int8 rows of d + 2
 * blocks bytes): words shared with a neighbouring row are updated atomically.
 */
export function kvWriteEncodedKernel(kind: 'f16' | 'bf16' | 'int8', headDim: number): KernelSpec {
  const d = headDim;
  const int8 = kind === 'int8';
  const block = int8 ? Math.min(32, d) : 32;
  const segs = Math.ceil(d / block);
  const rowBytes = int8 ? d + 2 * segs : 2 * d;
  const segment = (t: 'k' | 'v', src: 'newK' | 'newV') =>
    int8
      ? /* wgsl */ `
fn seg_${t}(x0: u32, row: u32, s: u32) {
  let c0 = s * B;
  let n = min(B, D - c0);
  var amax = 0u;
  for (var c = 0u; c < n; c++) { amax = max(amax, ${src}[x0 + c0 + c] & 0x7fffffffu); }
  let sb = int8_scale_bits(amax);
  let scale = f16_bits(sb);
  let zero = (sb & 0x7fffu) == 0u || (sb & 0x7c00u) == 0x7c00u;
  ${writeBytesWgsl(t, 'row * ROW + s * (B + 2u)', '2u + n', `byte_${t}(x0 + c0, r, sb, scale, zero)`)}
}
fn byte_${t}(x: u32, r: u32, sb: u32, scale: f32, zero: bool) -> u32 {
  if (r == 0u) { return sb; }
  if (r == 1u) { return sb >> 8u; }
  if (zero) { return 0u; }
  return int8_code(${src}[x + r - 2u], scale);
}`
      : /* wgsl */ `
fn seg_${t}(x0: u32, row: u32, s: u32) {
  let c0 = s * B;
  let n = min(B, D - c0);
  ${writeBytesWgsl(t, 'row * ROW + 2u * c0', '2u * n', `${kind === 'f16' ? 'f32_to_f16_bits' : 'f32_to_bf16_bits'}(${src}[x0 + c0 + (r >> 1u)]) >> ((r & 1u) * 8u)`)}
}`;
  const code = /* wgsl */ `
${paramsStruct(ENCODED_PARAMS)}
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'slots', 'array<i32>'],
  ['read', 'newK', 'array<u32>'],
  ['read', 'newV', 'array<u32>'],
  ['rw', 'k', 'array<atomic<u32>>'],
  ['rw', 'v', 'array<atomic<u32>>'],
])}
${LINEAR_WORKGROUP}
${F16_BITS}
${F32_TO_HALF}
${int8 ? U64_QUOTIENT + INT8_CODEC : ''}
${putWordWgsl('k')}
${putWordWgsl('v')}
const D = ${d}u;
const B = ${block}u;
const SEGS = ${segs}u;
const ROW = ${rowBytes}u;
${segment('k', 'newK')}
${segment('v', 'newV')}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = linear_wg(wid, nwg) * 64u + t;
  let per = p.entries * SEGS;
  if (i >= 2u * per) { return; }
  let pool = i / per;
  let e = (i % per) / SEGS;
  let s = i % SEGS;
  let slot = slots[e];
  if (slot < 0) { return; }
  if (pool == 0u) { seg_k(e * D, u32(slot), s); } else { seg_v(e * D, u32(slot), s); }
}
`;
  return {
    key: `kv-write-${kind}-d${d}`,
    code,
    bindings: ['uniform', 'read', 'read', 'read', 'rw', 'rw'],
    params: ENCODED_PARAMS,
    workgroupSize: 64,
  };
}

/** Invocations of kvWriteEncodedKernel for `entries` (token, head) rows. */
export function kvWriteEncodedInvocations(kind: 'f16' | 'bf16' | 'int8', headDim: number, entries: number): number {
  const block = kind === 'int8' ? Math.min(32, headDim) : 32;
  return 2 * entries * Math.ceil(headDim / block);
}
