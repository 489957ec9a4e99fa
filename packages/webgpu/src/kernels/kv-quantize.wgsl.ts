// KIVI (policies.md §10) on the GPU: move the oldest residual tokens of one KV head from its f16 ring
// into 2/4-bit pools, byte for byte as the CPU backend (tensor/src/cpu/kernels/kv-quantize.ts).
// Keys: one workgroup per group of G tokens; each invocation takes channels, finds their min and max
// over the group, writes the group's (f16 scale, f16 min) per channel to keyParams, then each
// invocation packs the codes of whole tokens. Values: one invocation per token, per channel group
// (scale, min) after the codes. Code rows are packed bytes, not word-aligned: words shared with a
// neighbouring row are updated atomically.
import { kiviCodeBytes, kiviValueGroups } from '@kvkit/tensor';
import type { KernelSpec, ParamFields } from './kernel.js';
import { bindingDecls, F16_BITS, LINEAR_WORKGROUP, paramsStruct } from './kernel.js';
import { kiviCodecWgsl, putWordWgsl, U64_QUOTIENT, writeBytesWgsl } from './kv-codec.wgsl.js';

export const KV_QUANTIZE_PARAMS: ParamFields = [
  ['head', 'u32'],
  ['start', 'u32'],
  ['count', 'u32'],
  ['residual', 'u32'],
  ['ringBase', 'u32'],
  ['pageSize', 'u32'],
];

function common(headDim: number, bits: 2 | 4): string {
  return /* wgsl */ `
${paramsStruct(KV_QUANTIZE_PARAMS)}
${LINEAR_WORKGROUP}
const D = ${headDim}u;
const BITS = ${bits}u;
const CB = ${kiviCodeBytes(headDim, bits)}u;
const PER_BYTE = ${8 / bits}u;
${F16_BITS}
${U64_QUOTIENT}
${kiviCodecWgsl(bits)}
/** Pool slot of logical slot j of the head (pt: the head's row of the page table). */
fn slot_of(j: u32) -> u32 { return u32(pt[j / p.pageSize]) * p.pageSize + j % p.pageSize; }
/** f16 bits of channel c of logical slot j in the head's residual ring. */
fn ring_at(j: u32, c: u32) -> u32 {
  let i = (p.head * p.residual + (j + p.ringBase) % p.residual) * D + c;
  return (ring[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu;
}
`;
}

export function kiviQuantizeKeysKernel(headDim: number, bits: 2 | 4, group: number): KernelSpec {
  const code = /* wgsl */ `
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'pt', 'array<i32>'],
  ['read', 'ring', 'array<u32>'],
  ['rw', 'pool', 'array<atomic<u32>>'],
  ['rw', 'kparams', 'array<u32>'],
])}
${common(headDim, bits)}
${putWordWgsl('pool')}
const G = ${group}u;
var<workgroup> sbits: array<u32, ${headDim}>;
var<workgroup> mbits: array<u32, ${headDim}>;

/** Byte r of the code row of logical slot j. */
fn code_byte(j: u32, r: u32) -> u32 {
  var byte = 0u;
  for (var i = 0u; i < PER_BYTE; i++) {
    let c = r * PER_BYTE + i;
    byte |= kivi_code(ring_at(j, c), mbits[c], sbits[c]) << (i * BITS);
  }
  return byte;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let wg = linear_wg(wid, nwg);
  if (wg * G >= p.count) { return; }
  let g0 = p.start + wg * G;
  let grp = slot_of(g0) / G; // groups never straddle pages: pageSize % G == 0
  for (var c = t; c < D; c += 64u) {
    var lo = ring_at(g0, c);
    var hi = lo;
    for (var j = g0 + 1u; j < g0 + G; j++) {
      let x = ring_at(j, c);
      if (f16_key(x) < f16_key(lo)) { lo = x; }
      if (f16_key(x) > f16_key(hi)) { hi = x; }
    }
    let sc = kivi_scale_bits(lo, hi);
    sbits[c] = sc;
    mbits[c] = lo;
    kparams[grp * D + c] = sc | (lo << 16u);
  }
  workgroupBarrier();
  for (var tok = t; tok < G; tok += 64u) {
    let j = g0 + tok;
    ${writeBytesWgsl('pool', 'slot_of(j) * CB', 'CB', 'code_byte(j, r)')}
  }
}
`;
  return {
    key: `kivi-quantize-keys-d${headDim}-b${bits}-g${group}`,
    code,
    bindings: ['uniform', 'read', 'read', 'rw', 'rw'],
    params: KV_QUANTIZE_PARAMS,
    workgroupSize: 64,
  };
}

export function kiviQuantizeValuesKernel(headDim: number, bits: 2 | 4, group: number): KernelSpec {
  const groups = kiviValueGroups(headDim, group);
  const code = /* wgsl */ `
${bindingDecls([
  ['uniform', 'p', 'Params'],
  ['read', 'pt', 'array<i32>'],
  ['read', 'ring', 'array<u32>'],
  ['rw', 'pool', 'array<atomic<u32>>'],
])}
${common(headDim, bits)}
${putWordWgsl('pool')}
const GC = ${Math.min(group, headDim)}u; // channels per value group
const VG = ${groups}u;
const ROW = CB + 4u * VG;

fn row_byte(j: u32, r: u32, sb: ptr<function, array<u32, VG>>, mb: ptr<function, array<u32, VG>>) -> u32 {
  if (r >= CB) {
    let gi = (r - CB) / 4u;
    let w = select((*sb)[gi], (*mb)[gi], ((r - CB) & 2u) != 0u);
    return w >> (((r - CB) & 1u) * 8u);
  }
  var byte = 0u;
  for (var i = 0u; i < PER_BYTE; i++) {
    let c = r * PER_BYTE + i;
    let gi = c / GC;
    byte |= kivi_code(ring_at(j, c), (*mb)[gi], (*sb)[gi]) << (i * BITS);
  }
  return byte;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let idx = linear_wg(wid, nwg) * 64u + t;
  if (idx >= p.count) { return; }
  let j = p.start + idx;
  var sb: array<u32, VG>;
  var mb: array<u32, VG>;
  for (var gi = 0u; gi < VG; gi++) {
    let c0 = gi * GC;
    var lo = ring_at(j, c0);
    var hi = lo;
    for (var c = c0 + 1u; c < min(D, c0 + GC); c++) {
      let x = ring_at(j, c);
      if (f16_key(x) < f16_key(lo)) { lo = x; }
      if (f16_key(x) > f16_key(hi)) { hi = x; }
    }
    sb[gi] = kivi_scale_bits(lo, hi);
    mb[gi] = lo;
  }
  ${writeBytesWgsl('pool', 'slot_of(j) * ROW', 'ROW', 'row_byte(j, r, &sb, &mb)')}
}
`;
  return {
    key: `kivi-quantize-values-d${headDim}-b${bits}-g${group}`,
    code,
    bindings: ['uniform', 'read', 'read', 'rw'],
    params: KV_QUANTIZE_PARAMS,
    workgroupSize: 64,
  };
}
