import { InvalidSharingConfigError } from '../errors.js';
import { checkLayerCount, kvSourceFromOwners } from './kv-source.js';

/**
 * MLKV's KV-owning layers for `m = num_key_value_layers` of `L` (spec §11):
 * `[0] + [int((i + 1) * L / m) for i in range(m - 1)]`, same float division and truncation.
 */
export function mlkvOwners(L: number, m: number): number[] {
  checkLayerCount(L);
  if (!Number.isSafeInteger(m) || m < 1 || m > L) throw new InvalidSharingConfigError(`MLKV needs 1 <= m <= L = ${L}, got ${m}`);
  const owners = [0];
  for (let i = 0; i < m - 1; i++) owners.push(Math.trunc(((i + 1) * L) / m));
  return owners;
}

/** MLKV: every other layer reuses the most recent owner below it. */
export function kvSourceMlkv(L: number, m: number): number[] {
  return kvSourceFromOwners(L, mlkvOwners(L, m));
}
