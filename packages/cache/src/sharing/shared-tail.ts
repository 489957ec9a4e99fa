import { InvalidSharingConfigError } from '../errors.js';
import { checkLayerCount } from './kv-source.js';

/**
 * Shared tail (`num_kv_shared_layers = t`, spec §11): the last `t` layers reuse the last non-shared
 * layer of the same attention type. `layerTypes` (e.g. 'sliding_attention' / 'full_attention') is
 * per layer; without it every layer has one type.
 */
export function kvSourceSharedTail(L: number, t: number, layerTypes?: readonly string[]): number[] {
  checkLayerCount(L);
  if (!Number.isSafeInteger(t) || t < 0 || t >= L) throw new InvalidSharingConfigError(`shared tail needs 0 <= t < L = ${L}, got ${t}`);
  if (layerTypes && layerTypes.length !== L) throw new InvalidSharingConfigError(`${layerTypes.length} layer types for ${L} layers`);
  const first = L - t;
  return Array.from({ length: L }, (_, l) => {
    if (l < first) return l;
    const type = layerTypes?.[l];
    for (let s = first - 1; s >= 0; s--) if (!layerTypes || layerTypes[s] === type) return s;
    throw new InvalidSharingConfigError(`shared layer ${l} (${String(type)}) has no earlier non-shared layer of its type`);
  });
}
