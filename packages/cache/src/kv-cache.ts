import type { Backend, KvView, Tensor } from '@kvkit/tensor';
import { InvalidArgumentError } from '@kvkit/tensor';
import { LayerKv } from './layouts/layer-kv.js';
import { PagePool } from './layouts/page-pool.js';

export type CacheLayoutKind = 'contiguous' | 'paged';

export interface KvCacheOptions {
  readonly nLayers: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  /** kvSource[l]: the layer whose K/V layer l reads; identity when omitted. Only source layers own cache. */
  readonly kvSource?: readonly number[];
  /** Most tokens one KV head may hold (the context length for a full cache). */
  readonly maxTokens: number;
  /** 'contiguous' (default): every head preallocated to maxTokens. 'paged': pages taken from a pool on demand. */
  readonly layout?: CacheLayoutKind;
  /** Tokens per page for the paged layout (default 16). */
  readonly pageSize?: number;
  /** Pool size for the paged layout; default: maxTokens in every head of every source layer. */
  readonly poolPages?: number;
}

export interface CacheStats {
  /** Bytes of the K/V values of the tokens held (exact: tokens x 2 x headDim x bytes per value). */
  readonly bytesUsed: number;
  /** Bytes of the pages the cache holds (>= bytesUsed: page padding, preallocation). */
  readonly bytesReserved: number;
  /** Bytes of the backing pool (what the backend allocated). */
  readonly bytesAllocated: number;
  /** Bytes one token costs across every source layer and KV head. */
  readonly bytesPerToken: number;
  /** Tokens held by each KV head of each model layer ([layer][kvHead]; sharing layers report their source). */
  readonly tokensHeld: number[][];
}

const F32_BYTES = 4;

/** The owner of all K/V memory of one sequence; backends read it through `view(layer)`. */
export class KvCache implements Disposable {
  readonly nLayers: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly kvSource: readonly number[];
  readonly layout: CacheLayoutKind;
  readonly #pool: PagePool;
  readonly #layers = new Map<number, LayerKv>();

  constructor(backend: Backend, opts: KvCacheOptions) {
    const { nLayers, nKvHeads, headDim, maxTokens } = opts;
    this.nLayers = nLayers;
    this.nKvHeads = nKvHeads;
    this.headDim = headDim;
    this.layout = opts.layout ?? 'contiguous';
    this.kvSource = opts.kvSource ? [...opts.kvSource] : Array.from({ length: nLayers }, (_, l) => l);
    if (this.kvSource.length !== nLayers) throw new InvalidArgumentError(`kvSource has ${this.kvSource.length} entries for ${nLayers} layers`);
    this.kvSource.forEach((s, l) => {
      if (!(Number.isInteger(s) && s >= 0 && s <= l && this.kvSource[s] === s)) {
        throw new InvalidArgumentError(`kvSource[${l}] = ${s}: a layer must read itself or an earlier layer that owns its cache`);
      }
    });
    const sources = this.sourceLayers;
    const paged = this.layout === 'paged';
    const pageSize = paged ? (opts.pageSize ?? 16) : maxTokens;
    const pagesPerHead = Math.ceil(maxTokens / pageSize);
    const pages = paged ? (opts.poolPages ?? sources.length * nKvHeads * pagesPerHead) : sources.length * nKvHeads;
    this.#pool = new PagePool(backend, { pages, pageSize, headDim });
    for (const s of sources) this.#layers.set(s, new LayerKv(backend, this.#pool, { nKvHeads, capacity: maxTokens, preassign: !paged }));
  }

  /** Layers that own K/V, ascending. */
  get sourceLayers(): number[] {
    return this.kvSource.filter((s, l) => s === l);
  }

  owns(layer: number): boolean {
    return this.kvSource[layer] === layer;
  }

  /** The cache storage layer `layer` reads (its source's). */
  layer(layer: number): LayerKv {
    const kv = this.#layers.get(this.kvSource[layer] ?? -1);
    if (!kv) throw new InvalidArgumentError(`no cache for layer ${layer}`);
    return kv;
  }

  view(layer: number): KvView {
    return this.layer(layer).view;
  }

  /** Append K/V rows ([m, nKvHeads * headDim], RoPE applied) of an owning layer at the given positions. */
  write(backend: Backend, layer: number, positions: Int32Array, k: Tensor, v: Tensor): void {
    if (!this.owns(layer)) throw new InvalidArgumentError(`layer ${layer} reads layer ${this.kvSource[layer]}'s cache and cannot write`);
    const kv = this.layer(layer);
    backend.kvWrite(kv.view.k, kv.view.v, kv.appendSlots(positions), k, v);
  }

  get bytesPerToken(): number {
    return this.sourceLayers.length * 2 * this.nKvHeads * this.headDim * F32_BYTES;
  }

  stats(): CacheStats {
    let held = 0;
    let pages = 0;
    for (const kv of this.#layers.values()) {
      for (const n of kv.lengths) held += n;
      pages += kv.pagesInUse;
    }
    return {
      bytesUsed: held * 2 * this.headDim * F32_BYTES,
      bytesReserved: pages * this.#pool.bytesPerPage,
      bytesAllocated: this.#pool.totalPages * this.#pool.bytesPerPage,
      bytesPerToken: this.bytesPerToken,
      tokensHeld: this.kvSource.map((_, l) => Array.from(this.layer(l).lengths)),
    };
  }

  /** Forget every token (a new sequence). */
  clear(): void {
    for (const kv of this.#layers.values()) kv.clear();
  }

  dispose(): void {
    this.#pool.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
