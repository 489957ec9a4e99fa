import type { KvDtype } from '@kvkit/tensor';
import type { ByteLayout } from '../bytes.js';
import { bytesPerToken, KIVI_DEFAULTS } from '../bytes.js';
import { sourceLayers } from '../sharing/kv-source.js';

/** A cache map: which layers own K/V, how many heads, and which layers hold a sliding window. */
export interface CacheMap {
  readonly kvSource: readonly number[];
  readonly nKvHeads: number;
  readonly slidingWindow?: readonly (number | null)[];
}

/** The byte layout of a cache map in one storage format; KIVI with `KIVI_DEFAULTS`. */
export function planLayout(map: CacheMap, headDim: number, kvDtype: KvDtype): ByteLayout {
  return {
    kvSource: map.kvSource,
    nKvHeads: map.nKvHeads,
    headDim,
    kvDtype,
    ...(kvDtype === 'kivi2' || kvDtype === 'kivi4' ? { kivi: KIVI_DEFAULTS } : {}),
    ...(map.slidingWindow ? { slidingWindow: map.slidingWindow } : {}),
  };
}

/** Long-run bytes per extra token: windowed layers stop growing, so only full-attention layers count. */
export function marginalBytesPerToken(layout: ByteLayout): number {
  const sources = sourceLayers(layout.kvSource);
  const full = sources.filter((l) => (layout.slidingWindow?.[l] ?? null) === null).length;
  return (bytesPerToken(layout) * full) / sources.length;
}
