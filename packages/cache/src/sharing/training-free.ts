import { InvalidSharingConfigError } from '../errors.js';
import { kvSourceIdentity } from './kv-source.js';

/**
 * Training-free sharing on a pretrained model (spec §11): each layer in `layers` reuses layer
 * `l - 1`'s K/V, i.e. reads whatever `l - 1` reads (chained: sharing 2 and 3 makes both read 1).
 * MiniCache-style merging changes K/V values, not the map, and is not expressed here.
 */
export function kvSourceTrainingFree(L: number, layers: readonly number[]): number[] {
  const out = kvSourceIdentity(L);
  const share = new Set(layers);
  for (const l of share) {
    if (!Number.isSafeInteger(l) || l < 1 || l >= L) throw new InvalidSharingConfigError(`layer ${l} cannot reuse layer l-1 (valid: 1..${L - 1})`);
  }
  for (let l = 1; l < L; l++) if (share.has(l)) out[l] = out[l - 1]!;
  return out;
}
