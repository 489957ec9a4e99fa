import { InvalidSharingConfigError } from '../errors.js';
import { checkLayerCount } from './kv-source.js';

/**
 * YOCO (spec §11) as a cache map. The self-decoder layers `0 .. L/2 - 1` own sliding-window caches.
 * The one global K/V, projected once from the self-decoder's output, is stored as layer `L/2`'s own
 * cache (`kvSource[L/2] = L/2`), and every cross-decoder layer reads it (`kvSource[l] = L/2`); the
 * runtime fills it from the global projection rather than from layer `L/2`'s own K/V weights.
 * Cache = one full layer of K/V plus `L/2` windows.
 */
export interface YocoConfig {
  readonly kvSource: number[];
  /** Per layer: the window of a self-decoder layer, null for the global cache. */
  readonly slidingWindow: (number | null)[];
  /** First cross-decoder layer, the owner of the global K/V (`L / 2`). */
  readonly crossStart: number;
}

export function yocoConfig(L: number, window: number): YocoConfig {
  checkLayerCount(L);
  if (L < 2 || L % 2 !== 0) throw new InvalidSharingConfigError(`YOCO splits the layers in two halves; L = ${L} is not even`);
  if (!Number.isSafeInteger(window) || window < 1) throw new InvalidSharingConfigError(`YOCO window must be an integer >= 1, got ${window}`);
  const crossStart = L / 2;
  const kvSource = Array.from({ length: L }, (_, l) => (l < crossStart ? l : crossStart));
  const slidingWindow = Array.from({ length: L }, (_, l) => (l < crossStart ? window : null));
  return { kvSource, slidingWindow, crossStart };
}
