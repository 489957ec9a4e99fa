import type { Backend, KvDtype, KvView, Tensor } from '@kvkit/tensor';
import { InvalidArgumentError, kiviBits } from '@kvkit/tensor';
import type { ByteLayout } from './bytes.js';
import { bytesPerToken, cacheBytes, peakCacheBytes } from './bytes.js';
import { LayerKv } from './layouts/layer-kv.js';
import { PagePool } from './layouts/page-pool.js';
import type { PoolImage } from './layouts/page-pool.js';

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
  /** How values are stored (policies.md §10): f32 (default), f16, bf16, int8 blocks, kivi4, kivi2. */
  readonly kvDtype?: KvDtype;
  /** KIVI group size G (default 32) and full-precision residual R (default 128, R % G == 0). */
  readonly kivi?: { readonly group?: number; readonly residual?: number };
  /** Initial storage bytes (a restored snapshot): the pool's tensors and, for KIVI, each source layer's residual rings. */
  readonly image?: KvCacheImage;
  /**
   * A page pool shared with other caches (paged layout, not KIVI): pages can then be shared between
   * them (`shareFrom`, a prefix cache) and are copied before a write. The pool's owner disposes it.
   */
  readonly pool?: PagePool;
}

export interface KvCacheImage {
  readonly pool: PoolImage;
  readonly rings?: ReadonlyMap<number, { readonly k: Uint8Array; readonly v: Uint8Array }>;
}

/** How a cache with these options sizes its page pool: tokens per page, pages per head, pool pages. */
export function cacheGeometry(opts: KvCacheOptions): { pageSize: number; pagesPerHead: number; pages: number; sources: number[] } {
  const sources = (opts.kvSource ?? Array.from({ length: opts.nLayers }, (_, l) => l)).filter((s, l) => s === l);
  const paged = (opts.layout ?? 'contiguous') === 'paged';
  const group = opts.kivi?.group ?? 32;
  const kivi = kiviBits(opts.kvDtype ?? 'f32') !== undefined;
  // KIVI key groups never straddle pages: pages are whole groups (32 tokens by default).
  const pageSize = paged ? (opts.pageSize ?? (kivi ? group : 16)) : kivi ? Math.ceil(opts.maxTokens / group) * group : opts.maxTokens;
  const pagesPerHead = Math.ceil(opts.maxTokens / pageSize);
  const pages = paged ? (opts.poolPages ?? sources.length * opts.nKvHeads * pagesPerHead) : sources.length * opts.nKvHeads;
  return { pageSize, pagesPerHead, pages, sources };
}

export interface CacheStats {
  /** Bytes of the K/V of the tokens held, exact per policies.md §13 (scales, KIVI groups and residual included). */
  readonly bytesUsed: number;
  /** Bytes of the pages the cache holds (>= bytesUsed: page padding, preallocation). */
  readonly bytesReserved: number;
  /** Bytes the backend allocated for this cache (the pool, plus KIVI's residual rings). */
  readonly bytesAllocated: number;
  /** Bytes one token costs across every source layer and KV head (steady state: KIVI residual excluded). */
  readonly bytesPerToken: number;
  /** Tokens held by each KV head of each model layer ([layer][kvHead]; sharing layers report their source). */
  readonly tokensHeld: number[][];
}

/** The owner of all K/V memory of one sequence; backends read it through `view(layer)`. */
export class KvCache implements Disposable {
  readonly nLayers: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly kvSource: readonly number[];
  readonly layout: CacheLayoutKind;
  readonly kvDtype: KvDtype;
  readonly #kivi: { readonly group?: number; readonly residual?: number } | undefined;
  readonly #pool: PagePool;
  readonly #layers = new Map<number, LayerKv>();
  readonly #ownsPool: boolean;
  #disposed = false;

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
    const paged = this.layout === 'paged';
    this.kvDtype = opts.kvDtype ?? 'f32';
    this.#kivi = opts.kivi;
    const group = opts.kivi?.group ?? 32;
    const { pageSize, pages, sources } = cacheGeometry(opts);
    if (opts.pool) {
      const p = opts.pool;
      if (!paged || kiviBits(this.kvDtype) !== undefined || opts.image) throw new InvalidArgumentError('a shared page pool needs the paged layout and a row KV dtype (f32, f16, bf16, int8), not KIVI');
      if (p.dtype !== this.kvDtype || p.headDim !== headDim || (opts.pageSize !== undefined && opts.pageSize !== p.pageSize)) {
        throw new InvalidArgumentError(`the shared pool stores ${p.dtype} rows of ${p.headDim} in pages of ${p.pageSize}; this cache asks for ${this.kvDtype} rows of ${headDim}${opts.pageSize ? ` in pages of ${opts.pageSize}` : ''}`);
      }
    }
    this.#ownsPool = !opts.pool;
    this.#pool = opts.pool ?? new PagePool(backend, { pages, pageSize, headDim, dtype: this.kvDtype, group, ...(opts.image ? { image: opts.image.pool } : {}) });
    this.#pool.addUser();
    for (const s of sources) {
      const ring = opts.image?.rings?.get(s);
      const layer = new LayerKv(backend, this.#pool, { nKvHeads, capacity: maxTokens, preassign: !paged, ...(opts.kivi?.residual ? { residual: opts.kivi.residual } : {}), ...(ring ? { ring } : {}) });
      this.#layers.set(s, layer);
    }
  }

  /** The page pool every source layer and KV head takes its pages from. */
  get pool(): PagePool {
    return this.#pool;
  }

  /** KIVI group size and residual as given (defaults apply where absent). */
  get kivi(): { readonly group?: number; readonly residual?: number } | undefined {
    return this.#kivi;
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
  write(layer: number, positions: Int32Array, k: Tensor, v: Tensor): void {
    if (!this.owns(layer)) throw new InvalidArgumentError(`layer ${layer} reads layer ${this.kvSource[layer]}'s cache and cannot write`);
    this.layer(layer).append(positions, k, v);
  }

  get bytesPerToken(): number {
    return bytesPerToken({ kvSource: this.kvSource, nKvHeads: this.nKvHeads, headDim: this.headDim, kvDtype: this.kvDtype, ...(this.#kivi ? { kivi: this.#kivi } : {}) });
  }

  /** Exact bytes of the whole cache when every head of every source layer holds `tokens` tokens (policies.md §13). */
  bytesAt(tokens: number): number {
    return cacheBytes(this.#byteLayout(), tokens);
  }

  /** The most bytes the cache passes through on its way to `tokens` tokens per head (KIVI shrinks at each residual flush). */
  peakBytesAt(tokens: number): number {
    return peakCacheBytes(this.#byteLayout(), tokens);
  }

  #byteLayout(): ByteLayout {
    return { kvSource: this.kvSource, nKvHeads: this.nKvHeads, headDim: this.headDim, kvDtype: this.kvDtype, ...(this.#kivi ? { kivi: this.#kivi } : {}) };
  }

  stats(): CacheStats {
    let used = 0;
    let pages = 0;
    let own = 0;
    for (const kv of this.#layers.values()) {
      used += kv.bytesUsed();
      pages += kv.pagesInUse;
      own += kv.ownBytes;
    }
    return {
      bytesUsed: used,
      bytesReserved: pages * this.#pool.bytesPerPage + own,
      bytesAllocated: this.#pool.totalPages * this.#pool.bytesPerPage + own,
      bytesPerToken: this.bytesPerToken,
      tokensHeld: this.kvSource.map((_, l) => {
        const kv = this.layer(l);
        return Array.from({ length: this.nKvHeads }, (_, h) => kv.held(h));
      }),
    };
  }

  /** Forget every token (a new sequence). */
  clear(): void {
    for (const kv of this.#layers.values()) kv.clear();
  }

  /** Whether the pool is shared with other caches (given in the options) rather than this cache's own. */
  get sharesPool(): boolean {
    return !this.#ownsPool;
  }

  /** Hold every page `other` holds (both on one shared pool): a fork that copies nothing until it writes. */
  shareFrom(other: KvCache): void {
    if (other.#pool !== this.#pool || this.#ownsPool) throw new InvalidArgumentError('shareFrom needs two caches on one shared pool');
    for (const [s, kv] of this.#layers) kv.shareFrom(other.layer(s));
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const kv of this.#layers.values()) {
      if (!this.#ownsPool) kv.releaseAll();
      kv.dispose();
    }
    this.#pool.removeUser();
    if (this.#ownsPool) this.#pool.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
