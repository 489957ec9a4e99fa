import { InvalidArgumentError } from '@kvkit/tensor';

/** Tokens one KV head held before and after a compression. */
export interface HeadReport {
  readonly kvHead: number;
  readonly before: number;
  readonly after: number;
}

/**
 * What a compression did to one layer (spec §0: a policy never silently does nothing). `budget` is
 * the layer's token budget per KV head including the window (PyramidKV/DynamicKV: that layer's own;
 * Ada-KV: the layer's mean, heads differ; full: the prompt length, nothing binds).
 */
export interface LayerReport {
  readonly layer: number;
  readonly heads: readonly HeadReport[];
  /** `n <= budget`: the prompt already fits, nothing was evicted. */
  readonly noCompressionNeeded: boolean;
  readonly budget: number;
  /** Non-fatal notes, e.g. DynamicKV's `r_min` warning. */
  readonly warnings?: readonly string[];
}

/** Positions to keep per layer and KV head, plus what that did. */
export interface PrefillSelection {
  /** `[layer][kvHead]`: ascending prompt positions kept, window included. */
  readonly kept: number[][][];
  readonly report: LayerReport[];
}

/** One layer's share of a `PrefillSelection`. */
export interface LayerSelection {
  readonly kept: number[][];
  readonly report: LayerReport;
}

/** Builds a layer's report from the kept positions. */
export function layerReport(
  layer: number,
  n: number,
  kept: readonly (readonly number[])[],
  budget: number,
  noCompressionNeeded: boolean,
  warnings?: readonly string[],
): LayerReport {
  const heads = kept.map((k, kvHead) => ({ kvHead, before: n, after: k.length }));
  return warnings && warnings.length > 0
    ? { layer, heads, noCompressionNeeded, budget, warnings }
    : { layer, heads, noCompressionNeeded, budget };
}

/** Every position of a prompt, for each KV head: the "no compression needed" selection. */
export function keepAll(layer: number, n: number, nKvHeads: number, budget: number): LayerSelection {
  const all = Array.from({ length: n }, (_, i) => i);
  const kept = Array.from({ length: nKvHeads }, () => all.slice());
  return { kept, report: layerReport(layer, n, kept, budget, true) };
}

/** Bytes a layer's compression freed, given the bytes one token costs in one KV head (K and V). */
export function bytesFreed(report: LayerReport, bytesPerHeadToken: number): number {
  if (!(bytesPerHeadToken >= 0)) throw new InvalidArgumentError(`bad bytes per head-token ${bytesPerHeadToken}`);
  let tokens = 0;
  for (const h of report.heads) tokens += h.before - h.after;
  return tokens * bytesPerHeadToken;
}

/** Concatenates per-layer selections. */
export function combine(layers: readonly LayerSelection[]): PrefillSelection {
  return { kept: layers.map((l) => l.kept), report: layers.map((l) => l.report) };
}
