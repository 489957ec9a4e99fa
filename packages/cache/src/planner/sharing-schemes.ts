// The cross-layer and head sharing schemes kvkit plans for, as cache maps of one attention shape.
import { kvSourceCla } from '../sharing/cla.js';
import { kvSourceIdentity } from '../sharing/kv-source.js';
import { kvSourceMlkv } from '../sharing/mlkv.js';
import { yocoConfig } from '../sharing/yoco.js';

/** What the K/V cache of a decoder depends on. */
export interface AttentionShape {
  readonly nLayers: number;
  readonly nHeads: number;
  /** KV heads of the model (= nHeads for MHA). */
  readonly nKvHeads: number;
}

export const SHARING_SCHEMES = ['MHA', 'GQA', 'MQA', 'MLKV', 'CLA', 'YOCO'] as const;
export type SharingSchemeName = (typeof SHARING_SCHEMES)[number];

export interface SharingScheme {
  readonly name: SharingSchemeName;
  /** The name with its parameters, e.g. `MLKV (2 KV layers, 1 head)`. */
  readonly label: string;
  readonly nKvHeads: number;
  readonly kvSource: number[];
  readonly slidingWindow?: (number | null)[];
}

/** YOCO's default self-decoder window (sliding-window attention), tokens. */
export const YOCO_WINDOW = 1024;

export interface SharingSchemeOptions {
  /** YOCO's self-decoder window (default `YOCO_WINDOW`). */
  readonly yocoWindow?: number;
  /** MLKV's KV layers (default `ceil(L / 4)`, the MLKV paper's OPT-175B setting). */
  readonly mlkvLayers?: number;
}

/**
 * The cache map of each scheme for a shape: MHA (H KV heads), GQA (the model's KV heads, or H/8 for
 * an MHA model), MQA (1), MLKV (`mlkvLayers` KV layers of one head), CLA (share factor 2 on the
 * model's KV heads), YOCO (L/2 windowed self-decoder layers + one global layer; none for an odd L).
 */
export function sharingSchemes(shape: AttentionShape, opts: SharingSchemeOptions = {}): SharingScheme[] {
  const L = shape.nLayers;
  const id = kvSourceIdentity(L);
  const gqa = shape.nKvHeads < shape.nHeads ? shape.nKvHeads : Math.max(1, Math.floor(shape.nHeads / 8));
  const m = opts.mlkvLayers ?? Math.ceil(L / 4);
  const window = opts.yocoWindow ?? YOCO_WINDOW;
  const out: SharingScheme[] = [
    { name: 'MHA', label: `MHA (${shape.nHeads} KV heads)`, nKvHeads: shape.nHeads, kvSource: id },
    { name: 'GQA', label: `GQA (${gqa} KV heads)`, nKvHeads: gqa, kvSource: id },
    { name: 'MQA', label: 'MQA (1 KV head)', nKvHeads: 1, kvSource: id },
    { name: 'MLKV', label: `MLKV (${m} KV layers, 1 head)`, nKvHeads: 1, kvSource: kvSourceMlkv(L, m) },
    { name: 'CLA', label: `CLA-2 (${Math.ceil(L / 2)} KV layers, ${shape.nKvHeads} heads)`, nKvHeads: shape.nKvHeads, kvSource: kvSourceCla(L, 2) },
  ];
  if (L >= 2 && L % 2 === 0) {
    const y = yocoConfig(L, window);
    out.push({ name: 'YOCO', label: `YOCO (${L / 2} windows of ${window} + 1 global, ${shape.nKvHeads} heads)`, nKvHeads: shape.nKvHeads, kvSource: y.kvSource, slidingWindow: y.slidingWindow });
  }
  return out;
}
