import { InvalidSharingConfigError } from '../errors.js';

/**
 * Cross-layer sharing map (spec §11): `kvSource[l]` is the layer whose K/V layer `l` reads. A source
 * reads its own (`kvSource[s] == s`) and only sources own cache. Always `kvSource[l] <= l`: a layer can
 * only read K/V that was written before it in the forward pass.
 */
export type KvSource = readonly number[];

export function checkLayerCount(L: number): number {
  if (!Number.isSafeInteger(L) || L < 1) throw new InvalidSharingConfigError(`layer count must be an integer >= 1, got ${L}`);
  return L;
}

/** Throws `InvalidSharingConfigError` unless every entry is a source at or below its layer. */
export function validateKvSource(kvSource: KvSource): KvSource {
  if (!Array.isArray(kvSource) || kvSource.length === 0) throw new InvalidSharingConfigError('kvSource must be a non-empty array');
  kvSource.forEach((s, l) => {
    if (!Number.isSafeInteger(s) || s < 0 || s > l) {
      throw new InvalidSharingConfigError(`kvSource[${l}] = ${String(s)}: a layer reads itself or an earlier layer`);
    }
    if (kvSource[s] !== s) {
      throw new InvalidSharingConfigError(`kvSource[${l}] = ${s}, but layer ${s} reads layer ${kvSource[s]}: a source must be its own source`);
    }
  });
  return kvSource;
}

/** The layers that own cache, ascending. */
export function sourceLayers(kvSource: KvSource): number[] {
  validateKvSource(kvSource);
  return kvSource.flatMap((s, l) => (s === l ? [l] : []));
}

/** No sharing: every layer owns its K/V. */
export function kvSourceIdentity(L: number): number[] {
  return Array.from({ length: checkLayerCount(L) }, (_, l) => l);
}

/** The map where each layer reads the most recent owner at or below it (owners must include 0). */
export function kvSourceFromOwners(L: number, owners: readonly number[]): number[] {
  checkLayerCount(L);
  const own = new Set(owners);
  if (!own.has(0)) throw new InvalidSharingConfigError('layer 0 must own its K/V');
  for (const o of own) {
    if (!Number.isSafeInteger(o) || o < 0 || o >= L) throw new InvalidSharingConfigError(`owner layer ${o} is outside 0..${L - 1}`);
  }
  const out: number[] = [];
  let last = 0;
  for (let l = 0; l < L; l++) {
    if (own.has(l)) last = l;
    out.push(last);
  }
  return out;
}
