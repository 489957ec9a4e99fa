// Prompt prefixes shared read-only between sessions: whole pages of K/V, found by their tokens.
import type { Backend, KvDtype } from '@kvkit/tensor';
import { InvalidArgumentError, kiviBits } from '@kvkit/tensor';
import type { KvCache } from '../kv-cache.js';
import { PagePool } from '../layouts/page-pool.js';

export interface PrefixCacheOptions {
  readonly nLayers: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly kvSource?: readonly number[];
  /** Row formats only (f32 default, f16, bf16, int8): KIVI keeps per-session residual rings. */
  readonly kvDtype?: KvDtype;
  /** Tokens per page, the unit of sharing (default 16). */
  readonly pageSize?: number;
  /** Pages of the pool that the sessions and the cached prefixes draw from together. */
  readonly pages: number;
  /** Most bytes the cached prefixes may hold; past it the least recently used unreferenced ones go. */
  readonly maxBytes: number;
}

/** One page-aligned block of tokens in the tree: its page in every source layer and KV head. */
export interface PrefixBlock {
  readonly key: string;
  readonly parent: PrefixBlock | undefined;
  readonly children: Map<string, PrefixBlock>;
  /** [source layer index * nKvHeads + head] -> pool page. */
  readonly pages: Int32Array;
  lastUsed: number;
}

/** What a lookup found: the number of tokens (whole pages) and the tree path holding their pages. */
export interface PrefixHit {
  readonly tokens: number;
  readonly path: readonly PrefixBlock[];
}

/**
 * A tree keyed on page-aligned blocks of token ids (a radix tree whose edges are whole pages): each
 * node holds one page per source layer and KV head, with one reference in the shared pool. Sessions
 * adopt the pages of the longest cached prefix of their prompt (one more reference each, copied only
 * if a session writes into one), and add the whole pages of their prompts. Bounded by `maxBytes`:
 * least recently used leaves that no session holds are evicted, and also whenever the pool runs out
 * of pages. Only uncompressed prefixes are cached (positions 0..n-1 in every head): a session adopts
 * them before its policy runs, so compression stays per conversation.
 */
export class PrefixCache implements Disposable {
  readonly pool: PagePool;
  readonly maxBytes: number;
  readonly pageSize: number;
  readonly sources: readonly number[];
  readonly nKvHeads: number;
  readonly #root: PrefixBlock;
  #clock = 0;
  #nodes = 0;

  constructor(backend: Backend, opts: PrefixCacheOptions) {
    const dtype = opts.kvDtype ?? 'f32';
    if (kiviBits(dtype) !== undefined) throw new InvalidArgumentError('a prefix cache stores row formats (f32, f16, bf16, int8): KIVI caches keep per-session residual rings');
    if (!(Number.isSafeInteger(opts.maxBytes) && opts.maxBytes >= 0)) throw new InvalidArgumentError(`maxBytes must be a non-negative integer, got ${opts.maxBytes}`);
    this.pageSize = opts.pageSize ?? 16;
    this.pool = new PagePool(backend, { pages: opts.pages, pageSize: this.pageSize, headDim: opts.headDim, dtype });
    this.pool.onExhausted = () => this.#evictOne();
    this.maxBytes = opts.maxBytes;
    this.nKvHeads = opts.nKvHeads;
    const kvSource = opts.kvSource ?? Array.from({ length: opts.nLayers }, (_, l) => l);
    this.sources = kvSource.filter((s, l) => s === l);
    this.#root = { key: '', parent: undefined, children: new Map(), pages: new Int32Array(0), lastUsed: 0 };
  }

  /** Bytes of the pages the cached prefixes hold. */
  get bytes(): number {
    return this.#nodes * this.sources.length * this.nKvHeads * this.pool.bytesPerPage;
  }

  /** Cached blocks (tree nodes). */
  get blocks(): number {
    return this.#nodes;
  }

  #key(tokens: readonly number[], b: number): string {
    return tokens.slice(b * this.pageSize, (b + 1) * this.pageSize).join(',');
  }

  /** The longest cached prefix of `tokens` in whole pages, at most `limit` tokens (leave one to compute logits). */
  lookup(tokens: readonly number[], limit = tokens.length): PrefixHit | undefined {
    const path: PrefixBlock[] = [];
    let node = this.#root;
    for (let b = 0; (b + 1) * this.pageSize <= Math.min(limit, tokens.length); b++) {
      const next = node.children.get(this.#key(tokens, b));
      if (!next) break;
      path.push(next);
      node = next;
    }
    if (path.length === 0) return undefined;
    const now = ++this.#clock;
    for (const n of path) n.lastUsed = now;
    return { tokens: path.length * this.pageSize, path };
  }

  /** Maps a hit's pages into an empty cache on this pool: every head holds positions 0..hit.tokens-1. */
  adopt(cache: KvCache, hit: PrefixHit): void {
    this.#check(cache);
    const positions = Int32Array.from({ length: hit.tokens }, (_, i) => i);
    this.sources.forEach((s, i) => {
      const kv = cache.layer(s);
      for (let h = 0; h < this.nKvHeads; h++) kv.adopt(h, hit.path.map((n) => n.pages[i * this.nKvHeads + h]!), positions);
    });
  }

  /**
   * Adds the whole pages of `tokens` that `cache` holds uncompressed (positions 0..n-1 in every head)
   * and the tree lacks, each with one more reference; then evicts down to `maxBytes`.
   */
  insert(tokens: readonly number[], cache: KvCache): void {
    this.#check(cache);
    const ps = this.pageSize;
    const layers = this.sources.map((s) => cache.layer(s));
    let node = this.#root;
    const now = ++this.#clock;
    for (let b = 0; (b + 1) * ps <= tokens.length; b++) {
      const key = this.#key(tokens, b);
      let next = node.children.get(key);
      if (!next) {
        const whole = layers.every((kv) => {
          for (let h = 0; h < this.nKvHeads; h++) {
            if (kv.view.lengths[h]! < (b + 1) * ps) return false;
            const pos = kv.positionsOf(h);
            for (let j = b * ps; j < (b + 1) * ps; j++) if (pos[j] !== j) return false;
          }
          return true;
        });
        if (!whole) break;
        const pages = new Int32Array(layers.length * this.nKvHeads);
        layers.forEach((kv, i) => {
          for (let h = 0; h < this.nKvHeads; h++) pages[i * this.nKvHeads + h] = kv.pageOf(h, b);
        });
        for (const p of pages) this.pool.retain(p);
        next = { key, parent: node, children: new Map(), pages, lastUsed: now };
        node.children.set(key, next);
        this.#nodes++;
      }
      next.lastUsed = now;
      node = next;
    }
    while (this.bytes > this.maxBytes && this.#evictOne()) {
      // evicting least recently used unreferenced leaves
    }
  }

  /** Evicts the least recently used leaf that no session holds; false when there is none. */
  #evictOne(): boolean {
    let worst: PrefixBlock | undefined;
    const visit = (n: PrefixBlock) => {
      for (const c of n.children.values()) {
        if (c.children.size) visit(c);
        else if (Array.from(c.pages).every((p) => this.pool.refCount(p) === 1) && (!worst || c.lastUsed < worst.lastUsed)) worst = c;
      }
    };
    visit(this.#root);
    if (!worst) return false;
    this.#drop(worst);
    return true;
  }

  #drop(n: PrefixBlock): void {
    for (const c of [...n.children.values()]) this.#drop(c);
    for (const p of n.pages) this.pool.release(p);
    n.parent!.children.delete(n.key);
    this.#nodes--;
  }

  /** Evicts every cached prefix no session holds (all of them when `all`: sessions keep their own references). */
  evict(all = false): void {
    if (all) for (const c of [...this.#root.children.values()]) this.#drop(c);
    else while (this.#evictOne());
  }

  #check(cache: KvCache): void {
    if (cache.pool !== this.pool) throw new InvalidArgumentError("this cache is not on the prefix cache's pool: create the session with { prefixCache }");
  }

  /** Frees the cached prefixes and the pool (dispose every session on it first). */
  dispose(): void {
    this.evict(true);
    this.pool.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
