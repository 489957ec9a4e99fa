import { InvalidSharingConfigError } from '../errors.js';
import { checkLayerCount } from './kv-source.js';

/**
 * Cross-layer attention with share factor `f` (spec §11): layers `0, f, 2f, ...` compute K/V, the next
 * `f - 1` reuse it, `ceil(L / f)` cache layers (`L / f` when `f` divides `L`; a shorter last group
 * otherwise). Factor 2 is the published sweet spot.
 */
export function kvSourceCla(L: number, factor: number): number[] {
  checkLayerCount(L);
  if (!Number.isSafeInteger(factor) || factor < 1) throw new InvalidSharingConfigError(`CLA share factor must be an integer >= 1, got ${factor}`);
  return Array.from({ length: L }, (_, l) => l - (l % factor));
}
