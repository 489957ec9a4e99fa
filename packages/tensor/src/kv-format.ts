import { InvalidArgumentError } from './errors.js';
import type { Tensor } from './tensor.js';

/** How K/V values are stored (policies.md §10). */
export type KvDtype = 'f32' | 'f16' | 'bf16' | 'int8' | 'kivi4' | 'kivi2';

export const KV_DTYPES: readonly KvDtype[] = ['f32', 'f16', 'bf16', 'int8', 'kivi4', 'kivi2'];

/** Position of a slot whose token was evicted but whose storage stays (KIVI key groups): always masked. */
export const DEAD_POSITION = 0x7fffffff;

/**
 * int8 blocks (q8_0-like): per token and head, blocks of 32 values along the head dim (the whole
 * head when d < 32), each an f16 scale followed by the int8 codes; symmetric, x = q * scale.
 */
export function int8Layout(headDim: number): { block: number; blocks: number; slotBytes: number } {
  const block = Math.min(32, headDim);
  const blocks = Math.ceil(headDim / block);
  return { block, blocks, slotBytes: headDim + 2 * blocks };
}

/** KIVI code bytes of one head-token (b bits per value, packed little-endian). */
export function kiviCodeBytes(headDim: number, bits: 2 | 4): number {
  return Math.ceil((headDim * bits) / 8);
}

/** KIVI value groups per token: groups of G channels (the whole head when d < G), each an f16 scale and f16 min. */
export function kiviValueGroups(headDim: number, group: number): number {
  return Math.ceil(headDim / Math.min(group, headDim));
}

/**
 * KIVI storage of one layer (policies.md §10): keys per channel in groups of `group` tokens, values
 * per token in groups of `group` channels, both asymmetric min-max with f16 scale and min; the newest
 * tokens stay in f16 `residual` rings until they are quantised (keys `residual` at a time, values one
 * at a time). Pool rows: K = codes; V = codes then per group (scale, min).
 */
export interface KiviFormat {
  readonly kind: 'kivi';
  readonly bits: 2 | 4;
  readonly group: number;
  readonly residual: number;
  /** Per key group (pool page * pageSize / group + group in page): d x (f16 scale, f16 min), u8 [groups, 4d]. */
  readonly keyParams: Tensor;
  /** f16 [nKvHeads * residual, d] rings of the newest keys and values. */
  readonly residualK: Tensor;
  readonly residualV: Tensor;
  /** Per head: logical slots [0, n) hold quantised keys (a multiple of `residual`) / values. */
  readonly keyQuantized: Int32Array;
  readonly valueQuantized: Int32Array;
  /** Per head: ring row of logical slot j is (j + ringBase[h]) % residual. */
  readonly ringBase: Int32Array;
}

export type KvFormat = { readonly kind: 'f32' } | { readonly kind: 'f16' } | { readonly kind: 'bf16' } | { readonly kind: 'int8' } | KiviFormat;

export function kiviBits(dtype: KvDtype): 2 | 4 | undefined {
  return dtype === 'kivi2' ? 2 : dtype === 'kivi4' ? 4 : undefined;
}

export function checkKivi(headDim: number, bits: number, group: number, residual: number, pageSize: number): void {
  if ((headDim * bits) % 8) throw new InvalidArgumentError(`KIVI-${bits} needs head dim * bits to fill whole bytes, got d = ${headDim}`);
  if (!(group > 0 && residual > 0 && residual % group === 0)) throw new InvalidArgumentError(`KIVI needs residual % group == 0, got R = ${residual}, G = ${group}`);
  if (pageSize % group) throw new InvalidArgumentError(`KIVI needs the page size (${pageSize}) to be a multiple of the group (${group})`);
}
