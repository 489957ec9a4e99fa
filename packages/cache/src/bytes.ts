import { InvalidArgumentError } from '@kvkit/tensor';
import { sourceLayers } from './sharing/kv-source.js';

/**
 * How the cache stores K/V values (spec §10): floats, int8 blocks of 32 with an f16 scale (like
 * q8_0), or KIVI 2/4-bit with an f16 scale and an f16 minimum per group.
 */
import type { KvDtype } from '@kvkit/tensor';
export type { KvDtype };

export { KV_DTYPES } from '@kvkit/tensor';

/** KIVI's group size `G` and full-precision residual `R` (`R % G == 0`). Reference LongBench runs: 32 and 128. */
export interface KiviParams {
  readonly group: number;
  readonly residual: number;
}

export const KIVI_DEFAULTS: Readonly<KiviParams> = { group: 32, residual: 128 };

/** Values per int8 block along the head dim (the whole head when `d < 32`). */
export const INT8_BLOCK = 32;

/** Bytes of one f16 scale (int8) or of one f16 scale plus one f16 minimum (KIVI). */
const INT8_META = 2;
const KIVI_META = 4;

export type KvPart = 'key' | 'value';

function checkHeadDim(headDim: number): void {
  if (!Number.isSafeInteger(headDim) || headDim < 1) throw new InvalidArgumentError(`bad head dim ${headDim}`);
}

export function resolveKivi(kivi: Partial<KiviParams> = {}): KiviParams {
  const group = kivi.group ?? KIVI_DEFAULTS.group;
  const residual = kivi.residual ?? KIVI_DEFAULTS.residual;
  if (!Number.isSafeInteger(group) || group < 1) throw new InvalidArgumentError(`bad KIVI group ${group}`);
  // Keys are quantized a residual block at a time, so R must be a positive multiple of G.
  if (!Number.isSafeInteger(residual) || residual < group || residual % group !== 0) {
    throw new InvalidArgumentError(`KIVI residual ${residual} must be a positive multiple of the group ${group}`);
  }
  return { group, residual };
}

function kiviBits(dtype: 'kivi2' | 'kivi4'): number {
  return dtype === 'kivi2' ? 2 : 4;
}

/** Bytes of a quantized group of `size` values at `bits` each plus its f16 scale and minimum. */
function kiviGroupBytes(bits: number, size: number): number {
  return (bits * size) / 8 + KIVI_META;
}

/**
 * Bytes one token costs in one KV head for K or V, in steady state (KIVI's full-precision residual
 * excluded; see `kiviBytes`). Blocks and groups split the head dim into `ceil(d / size)` pieces, the
 * last one shorter, each with its own scale (the whole head when `d` is below the block size).
 * KIVI keys are grouped along tokens per channel, in whole groups (R % G == 0), so `d` does not change
 * their per-value cost; KIVI values are grouped along channels.
 */
export function headTokenBytes(dtype: KvDtype, headDim: number, part: KvPart, kivi?: Partial<KiviParams>): number {
  checkHeadDim(headDim);
  switch (dtype) {
    case 'f32':
      return 4 * headDim;
    case 'f16':
    case 'bf16':
      return 2 * headDim;
    case 'int8':
      return headDim + INT8_META * Math.ceil(headDim / INT8_BLOCK);
    case 'kivi2':
    case 'kivi4': {
      const { group } = resolveKivi(kivi);
      const bits = kiviBits(dtype);
      if (part === 'key') return (headDim * kiviGroupBytes(bits, group)) / group;
      const full = Math.floor(headDim / group);
      const rest = headDim - full * group;
      return full * kiviGroupBytes(bits, group) + (rest > 0 ? kiviGroupBytes(bits, rest) : 0);
    }
    default:
      throw new InvalidArgumentError(`unknown KV dtype ${String(dtype satisfies never)}`);
  }
}

/**
 * Average bytes per stored value (spec §13): f32 4, f16/bf16 2, int8 34/32 (`(d + 2) / d` when
 * `d < 32`), KIVI b bits `(b G + 32) / (8 G)` (values with `d < G`: `(b d + 32) / (8 d)`).
 */
export function bytesPerValue(dtype: KvDtype, headDim: number, part: KvPart = 'value', kivi?: Partial<KiviParams>): number {
  return headTokenBytes(dtype, headDim, part, kivi) / headDim;
}

/** What the byte accounting needs to know of a cache. */
export interface ByteLayout {
  /** `kvSource[l]`: the layer whose K/V layer `l` reads; only source layers own cache (spec §11). */
  readonly kvSource: readonly number[];
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly kvDtype: KvDtype;
  readonly kivi?: Partial<KiviParams>;
  /** Per layer, a sliding-window size (YOCO's self-decoder) or null (holds every token). */
  readonly slidingWindow?: readonly (number | null)[];
}

function checkHeads(nKvHeads: number): void {
  if (!Number.isSafeInteger(nKvHeads) || nKvHeads < 1) throw new InvalidArgumentError(`bad KV head count ${nKvHeads}`);
}

/** Bytes one token costs in one KV head of one layer, K and V together. */
export function headTokenBytesKV(layout: Pick<ByteLayout, 'headDim' | 'kvDtype' | 'kivi'>): number {
  return (
    headTokenBytes(layout.kvDtype, layout.headDim, 'key', layout.kivi) + headTokenBytes(layout.kvDtype, layout.headDim, 'value', layout.kivi)
  );
}

/**
 * `sum over source layers of 2 * Hkv * d * bytesPerValue` (spec §11, §13), K and V counted at their
 * own rates. Steady state: excludes KIVI's full-precision residual and ignores sliding windows.
 */
export function bytesPerToken(layout: ByteLayout): number {
  checkHeads(layout.nKvHeads);
  return sourceLayers(layout.kvSource).length * layout.nKvHeads * headTokenBytesKV(layout);
}

/**
 * Exact bytes of KIVI K/V for `tokens` tokens in one KV head of one layer, following the reference:
 * keys keep `tokens % R` newest tokens at f16 and quantize whole blocks of `R`; values keep the
 * newest `min(tokens, R)` at f16 and quantize older ones one token at a time.
 */
export function kiviHeadBytes(tokens: number, headDim: number, bits: 2 | 4, kivi?: Partial<KiviParams>): number {
  if (!Number.isSafeInteger(tokens) || tokens < 0) throw new InvalidArgumentError(`bad token count ${tokens}`);
  const dtype = bits === 2 ? 'kivi2' : 'kivi4';
  const { residual } = resolveKivi(kivi);
  const keyFull = tokens % residual;
  const valueFull = Math.min(tokens, residual);
  const f16 = 2 * headDim;
  return (
    (tokens - keyFull) * headTokenBytes(dtype, headDim, 'key', kivi) +
    keyFull * f16 +
    (tokens - valueFull) * headTokenBytes(dtype, headDim, 'value', kivi) +
    valueFull * f16
  );
}

/** Exact KIVI bytes of the whole cache holding `tokens` tokens per layer and head. */
export function kiviBytes(tokens: number, layout: Omit<ByteLayout, 'kvDtype' | 'slidingWindow'> & { readonly bits: 2 | 4 }): number {
  checkHeads(layout.nKvHeads);
  checkHeadDim(layout.headDim);
  return sourceLayers(layout.kvSource).length * layout.nKvHeads * kiviHeadBytes(tokens, layout.headDim, layout.bits, layout.kivi);
}

/**
 * Exact bytes of the whole cache when every layer has seen `tokens` tokens: source layers only,
 * a sliding-window layer holding `min(tokens, window)`, KIVI with its residual.
 */
export function cacheBytes(layout: ByteLayout, tokens: number): number {
  checkHeads(layout.nKvHeads);
  if (!Number.isSafeInteger(tokens) || tokens < 0) throw new InvalidArgumentError(`bad token count ${tokens}`);
  const { kvDtype: dtype, headDim } = layout;
  let total = 0;
  for (const l of sourceLayers(layout.kvSource)) {
    const win = layout.slidingWindow?.[l] ?? null;
    const held = win === null ? tokens : Math.min(tokens, win);
    total +=
      dtype === 'kivi2' || dtype === 'kivi4'
        ? kiviHeadBytes(held, headDim, kiviBits(dtype) as 2 | 4, layout.kivi)
        : held * headTokenBytesKV(layout);
  }
  return total * layout.nKvHeads;
}

/**
 * The most bytes the cache holds on its way to `tokens` tokens: `cacheBytes` grows with every token
 * except where KIVI quantises a full residual block of keys, which shrinks it. Each block's peak is
 * just before its flush and the peaks grow block after block, so the running maximum is the larger
 * of now and the last pre-flush count. Non-decreasing in `tokens`, as a byte budget search needs.
 */
export function peakCacheBytes(layout: ByteLayout, tokens: number): number {
  const now = cacheBytes(layout, tokens);
  if (layout.kvDtype !== 'kivi2' && layout.kvDtype !== 'kivi4') return now;
  const { residual } = resolveKivi(layout.kivi);
  return tokens >= residual ? Math.max(now, cacheBytes(layout, Math.floor(tokens / residual) * residual - 1)) : now;
}
