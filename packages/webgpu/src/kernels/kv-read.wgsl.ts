// How the attention kernels read K/V in each storage format (policies.md §10), dequantising inside the
// dot products (no full-precision copy of the cache): a key or value row is located once per key
// (`key_src`, `val_src`: a vec2<u32> of base offset and auxiliary index) and read channel by channel
// (`key_at`, `val_at`). Mirrors the CPU readers of tensor/src/cpu/kernels/attention-quantized.ts.
import type { KvFormat } from '@kvkit/tensor';
import { int8Layout, kiviCodeBytes, kiviValueGroups } from '@kvkit/tensor';
import type { BindingKind } from './kernel.js';
import { F16_BITS } from './kernel.js';

/** What a kernel needs to know of a KV format (KIVI's per-call state travels in kv_meta and Params). */
export type KvLayout = { readonly kind: 'f32' | 'f16' | 'bf16' | 'int8' } | { readonly kind: 'kivi'; readonly bits: 2 | 4; readonly group: number };

export function kvLayoutOf(format: KvFormat | undefined): KvLayout {
  if (!format) return { kind: 'f32' };
  return format.kind === 'kivi' ? { kind: 'kivi', bits: format.bits, group: format.group } : { kind: format.kind };
}

/** Shader-key suffix: '' for f32 (the keys of the f32 kernels are unchanged). */
export function kvLayoutKey(l: KvLayout): string {
  return l.kind === 'f32' ? '' : l.kind === 'kivi' ? `-kivi${l.bits}g${l.group}` : `-${l.kind}`;
}

export type BindingDecl = readonly [kind: BindingKind, name: string, type: string];

/** The pool bindings, in order: K and V (keysOnly: K), and for KIVI the key parameters and the rings. */
export function kvBindings(l: KvLayout, keysOnly = false): BindingDecl[] {
  const t = l.kind === 'f32' ? 'array<f32>' : 'array<u32>';
  if (l.kind !== 'kivi') return keysOnly ? [['read', 'k', t]] : [['read', 'k', t], ['read', 'v', t]];
  return keysOnly
    ? [['read', 'k', t], ['read', 'kparams', t], ['read', 'rk', t]]
    : [['read', 'k', t], ['read', 'v', t], ['read', 'kparams', t], ['read', 'rk', t], ['read', 'rv', t]];
}

const bytes = (n: string) => /* wgsl */ `
fn ${n}_byte(o: u32) -> u32 { return (${n}[o >> 2u] >> ((o & 3u) * 8u)) & 0xffu; }
fn ${n}_u16(o: u32) -> u32 { return ${n}_byte(o) | (${n}_byte(o + 1u) << 8u); }
`;
const halves = (n: string) => /* wgsl */ `
fn ${n}_half(i: u32) -> u32 { return (${n}[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu; }
`;

/**
 * WGSL defining key_src(kh, j, row), key_at(src, c) and (unless keysOnly) val_src, val_at, for head
 * dim D (a const of the kernel). Needs VIEW_LOOKUPS' Params (residual, oKivi) and kv_meta for KIVI.
 */
export function kvReadWgsl(l: KvLayout, headDim: number, keysOnly = false): string {
  const d = headDim;
  const both = (s: string) => (keysOnly ? s.split('// values')[0]! : s);
  switch (l.kind) {
    case 'f32':
      return both(/* wgsl */ `
fn key_src(kh: u32, j: u32, row: u32) -> vec2<u32> { return vec2<u32>(row * D, 0u); }
fn key_at(s: vec2<u32>, c: u32) -> f32 { return k[s.x + c]; }
// values
fn val_src(kh: u32, j: u32, row: u32) -> vec2<u32> { return vec2<u32>(row * D, 0u); }
fn val_at(s: vec2<u32>, c: u32) -> f32 { return v[s.x + c]; }
`);
    case 'f16':
    case 'bf16': {
      const dec = (h: string) => (l.kind === 'f16' ? `f16_bits(${h})` : `bitcast<f32>(${h} << 16u)`);
      return both(/* wgsl */ `
${F16_BITS}
${halves('k')}
fn key_src(kh: u32, j: u32, row: u32) -> vec2<u32> { return vec2<u32>(row * D, 0u); }
fn key_at(s: vec2<u32>, c: u32) -> f32 { return ${dec('k_half(s.x + c)')}; }
// values
${halves('v')}
fn val_src(kh: u32, j: u32, row: u32) -> vec2<u32> { return vec2<u32>(row * D, 0u); }
fn val_at(s: vec2<u32>, c: u32) -> f32 { return ${dec('v_half(s.x + c)')}; }
`);
    }
    case 'int8': {
      const { block, slotBytes } = int8Layout(d);
      const at = (n: string) => /* wgsl */ `
fn ${n}_int8(s: vec2<u32>, c: u32) -> f32 {
  let o = s.x + (c / I8B) * (I8B + 2u);
  return f32(bitcast<i32>(${n}_byte(o + 2u + c % I8B) << 24u) >> 24u) * f16_bits(${n}_u16(o));
}`;
      return both(/* wgsl */ `
${F16_BITS}
const I8B = ${block}u;
const I8ROW = ${slotBytes}u;
${bytes('k')}
${at('k')}
fn key_src(kh: u32, j: u32, row: u32) -> vec2<u32> { return vec2<u32>(row * I8ROW, 0u); }
fn key_at(s: vec2<u32>, c: u32) -> f32 { return k_int8(s, c); }
// values
${bytes('v')}
${at('v')}
fn val_src(kh: u32, j: u32, row: u32) -> vec2<u32> { return vec2<u32>(row * I8ROW, 0u); }
fn val_at(s: vec2<u32>, c: u32) -> f32 { return v_int8(s, c); }
`);
    }
    case 'kivi': {
      const cb = kiviCodeBytes(d, l.bits);
      return both(/* wgsl */ `
${F16_BITS}
const KB = ${l.bits}u;
const KMASK = ${(1 << l.bits) - 1}u;
const KCB = ${cb}u;
const KG = ${l.group}u;
const KVROW = ${cb + 4 * kiviValueGroups(d, l.group)}u;
const KVGC = ${Math.min(l.group, d)}u;
const RING = 0xffffffffu;
fn ring_row(kh: u32, j: u32) -> u32 {
  return (kh * p.residual + (j + u32(kv_meta[p.oKivi + 2u * p.nKv + kh])) % p.residual) * D;
}
${bytes('k')}
${halves('rk')}
/** Keys below keyQuantized[kh] are codes (params of the pool slot's group), the rest in the ring. */
fn key_src(kh: u32, j: u32, row: u32) -> vec2<u32> {
  if (j >= u32(kv_meta[p.oKivi + kh])) { return vec2<u32>(ring_row(kh, j), RING); }
  return vec2<u32>(row * KCB, (row / KG) * D);
}
fn key_at(s: vec2<u32>, c: u32) -> f32 {
  if (s.y == RING) { return f16_bits(rk_half(s.x + c)); }
  let bit = c * KB;
  let q = (k_byte(s.x + (bit >> 3u)) >> (bit & 7u)) & KMASK;
  let pw = kparams[s.y + c];
  return f32(q) * f16_bits(pw & 0xffffu) + f16_bits(pw >> 16u);
}
// values
${bytes('v')}
${halves('rv')}
fn val_src(kh: u32, j: u32, row: u32) -> vec2<u32> {
  if (j >= u32(kv_meta[p.oKivi + p.nKv + kh])) { return vec2<u32>(ring_row(kh, j), RING); }
  return vec2<u32>(row * KVROW, 0u);
}
fn val_at(s: vec2<u32>, c: u32) -> f32 {
  if (s.y == RING) { return f16_bits(rv_half(s.x + c)); }
  let bit = c * KB;
  let q = (v_byte(s.x + (bit >> 3u)) >> (bit & 7u)) & KMASK;
  let po = s.x + KCB + 4u * (c / KVGC);
  return f32(q) * f16_bits(v_u16(po)) + f16_bits(v_u16(po + 2u));
}
`);
    }
    default:
      return l satisfies never;
  }
}
