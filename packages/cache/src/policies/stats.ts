import { InvalidArgumentError, ShapeMismatchError } from '@kvkit/tensor';

/**
 * What the backend's prefill attention hands to a policy for one cache layer (spec §0, `afterPrefill`).
 * Arrays are query-head major `[nHeads * n]`; query head `h` reads KV head `floor(h / (nHeads / nKvHeads))`.
 */
export interface PrefillStats {
  /** Prompt length. */
  readonly n: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  /**
   * Per query head, the attention probability each prompt position received from the last `w`
   * prompt queries (causal inside the window), `w` being `prefillStatsNeeded(policy).window`.
   * TOVA asks for `w = 1`: the last query's attention row. Entries inside the window are ignored.
   */
  readonly windowSums: Float32Array | Float64Array;
  /** Per query head, the attention each position received from every prompt query (H2O only, which ignores `windowSums`). */
  readonly columnSums?: Float32Array | Float64Array;
}

/**
 * Checks the shapes of one layer's statistics and of the arrays the policy reads (`'none'`: only
 * `n` and the head counts, e.g. StreamingLLM; `'column'`: H2O); returns the GQA group size `g`.
 */
export function checkStats(stats: PrefillStats, need: 'window' | 'column' | 'none' = 'window'): number {
  const { n, nHeads, nKvHeads } = stats;
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`bad prompt length ${n}`);
  if (!Number.isSafeInteger(nHeads) || !Number.isSafeInteger(nKvHeads) || nKvHeads < 1 || nHeads < nKvHeads || nHeads % nKvHeads !== 0) {
    throw new InvalidArgumentError(`nHeads ${nHeads} must be a positive multiple of nKvHeads ${nKvHeads}`);
  }
  if (need === 'window' && stats.windowSums.length !== nHeads * n) {
    throw new ShapeMismatchError(`windowSums has ${stats.windowSums.length} entries, expected ${nHeads} x ${n}`);
  }
  if (need === 'column') {
    if (!stats.columnSums) throw new InvalidArgumentError('this policy needs columnSums (attention summed over all prompt queries)');
    if (stats.columnSums.length !== nHeads * n) {
      throw new ShapeMismatchError(`columnSums has ${stats.columnSums.length} entries, expected ${nHeads} x ${n}`);
    }
  }
  return nHeads / nKvHeads;
}

/** Multi-layer methods compare layers of one prompt: every layer must have the same n and head counts. */
export function checkSamePrompt(layers: readonly PrefillStats[]): void {
  const first = layers[0];
  if (!first) return;
  for (const [l, s] of layers.entries()) {
    if (s.n !== first.n || s.nKvHeads !== first.nKvHeads) {
      throw new ShapeMismatchError(`layer ${l} has n=${s.n}, nKvHeads=${s.nKvHeads}; layer 0 has n=${first.n}, nKvHeads=${first.nKvHeads}`);
    }
  }
}
