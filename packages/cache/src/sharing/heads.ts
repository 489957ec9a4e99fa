import { InvalidSharingConfigError } from '../errors.js';

/**
 * Head sharing inside a layer (spec §11): MHA keeps every head, GQA shares each KV head among a
 * group of `groupSize` query heads (`num_key_value_heads = H / g`), MQA keeps one.
 */
export type HeadSharing = { readonly kind: 'mha' } | { readonly kind: 'gqa'; readonly groupSize: number } | { readonly kind: 'mqa' };

/** `num_key_value_heads` for `nHeads` query heads: H, H / g, 1. */
export function numKvHeads(nHeads: number, sharing: HeadSharing): number {
  if (!Number.isSafeInteger(nHeads) || nHeads < 1) throw new InvalidSharingConfigError(`query head count must be an integer >= 1, got ${nHeads}`);
  switch (sharing.kind) {
    case 'mha':
      return nHeads;
    case 'mqa':
      return 1;
    case 'gqa': {
      const g = sharing.groupSize;
      if (!Number.isSafeInteger(g) || g < 1 || nHeads % g !== 0) {
        throw new InvalidSharingConfigError(`GQA group size ${g} must divide the ${nHeads} query heads`);
      }
      return nHeads / g;
    }
    default:
      throw new InvalidSharingConfigError(`unknown head sharing ${String((sharing satisfies never as { kind?: unknown }).kind)}`);
  }
}
