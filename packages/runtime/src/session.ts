import type { CacheLayoutKind, CachePolicyOptions, CacheStats, CompressionReport, KvCacheImage, PrefixCache } from '@kvkit/cache';
import { KvCache, PolicyRunner, prefillStatsNeeded, SnapshotMalformedError } from '@kvkit/cache';
import type { KvDtype, RopeOptions } from '@kvkit/tensor';
import { InvalidArgumentError, KvkitError } from '@kvkit/tensor';
import { Activations } from './activations.js';
import { ContextOverflowError } from './errors.js';
import type { LlamaModel } from './llama-model.js';
import type { RestoreExpectations, TextSnapshotState } from './snapshot/session-snapshot.js';
import { decodeSessionSnapshot, encodeSessionSnapshot } from './snapshot/session-snapshot.js';

export interface SnapshotOptions {
  /** Your application's JSON, kept in the snapshot's header (`readSnapshotHeader(bytes).meta`). */
  readonly meta?: unknown;
  /** TextSession's pending token and text; set by `TextSession.snapshot()`. */
  readonly text?: TextSnapshotState;
}

export type RestoreOptions = RestoreExpectations;

export type SessionMode = 'cache' | 'recompute';

export interface SessionOptions {
  /** 'cache' (default) keeps K/V between steps; 'recompute' keeps none and reruns every position each step. */
  readonly mode?: SessionMode;
  readonly layout?: CacheLayoutKind;
  readonly pageSize?: number;
  /** Tokens the sequence may reach (default: the model's context length). */
  readonly maxTokens?: number;
  /** Which tokens to keep and the budget (default: keep everything). Uses the paged layout unless told otherwise. */
  readonly policy?: CachePolicyOptions;
  /** How the cache stores K/V: f32 (default), f16, bf16, int8 blocks, kivi4, kivi2 (policies.md §10). */
  readonly kvDtype?: KvDtype;
  /** KIVI group size and full-precision residual (defaults 32 and 128). */
  readonly kivi?: { readonly group?: number; readonly residual?: number };
  /**
   * Share prompt prefixes with other sessions on this prefix cache (its pool holds this session's
   * pages): a prompt starting with cached whole pages adopts them instead of recomputing them, and
   * `fork()` shares pages. Policies compress each session's own copy after its whole prompt (H2O,
   * which scores every prompt query, cannot). Needs a row KV dtype and full attention.
   */
  readonly prefixCache?: PrefixCache;
}

// Set by Session's static block: restore fills a new session's private token list and policy state.
let adopt: (session: Session, tokens: readonly number[], state: ReturnType<PolicyRunner['exportState']> | undefined) => void;

/** One sequence being decoded: its tokens, its KV cache and the scratch of its forward passes. */
export class Session implements Disposable {
  readonly model: LlamaModel;
  readonly mode: SessionMode;
  readonly cache: KvCache;
  readonly maxTokens: number;
  readonly #opts: SessionOptions;
  readonly #tokens: number[] = [];
  readonly #acts = new Map<string, Activations>();
  readonly #policy: PolicyRunner | undefined;
  readonly #rope: RopeOptions;
  readonly #ropeK: RopeOptions;
  #reused = 0;

  /** `image`: initial cache storage, given only by `Session.restore`. */
  constructor(model: LlamaModel, opts: SessionOptions = {}, image?: KvCacheImage) {
    const c = model.config;
    this.model = model;
    this.#opts = opts;
    this.mode = opts.mode ?? 'cache';
    this.maxTokens = opts.maxTokens ?? c.contextLength;
    if (!(Number.isSafeInteger(this.maxTokens) && this.maxTokens > 0)) throw new InvalidArgumentError(`maxTokens must be a positive integer, got ${this.maxTokens}`);
    const pc = opts.prefixCache;
    if (pc) {
      if (this.mode !== 'cache' || c.slidingWindow?.some((w) => w != null)) {
        throw new InvalidArgumentError('a prefix cache shares uncompressed prefixes: use it with a cache (not recompute mode) on a model without sliding windows');
      }
      if (opts.policy?.policy.kind === 'h2o') {
        throw new InvalidArgumentError("h2o scores every prompt query, so its prompt cannot start from shared pages: use another policy with a prefix cache (snapkv, pyramidkv, adakv, dynamickv, tova, streaming, window)");
      }
      if (opts.kvDtype !== undefined && opts.kvDtype !== pc.pool.dtype) throw new InvalidArgumentError(`the prefix cache stores ${pc.pool.dtype}, not ${opts.kvDtype}: drop kvDtype or use another prefix cache`);
    }
    this.cache = new KvCache(model.backend, {
      nLayers: c.nLayers,
      nKvHeads: c.nKvHeads,
      headDim: c.headDim,
      kvSource: c.kvSource,
      maxTokens: this.maxTokens,
      ...(opts.layout ? { layout: opts.layout } : opts.policy || c.slidingWindow?.some((w) => w != null) ? { layout: 'paged' as const } : {}),
      ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
      ...(opts.kvDtype ? { kvDtype: opts.kvDtype } : {}),
      ...(opts.kivi ? { kivi: opts.kivi } : {}),
      ...(image ? { image } : {}),
      ...(pc ? { pool: pc.pool, layout: 'paged' as const, pageSize: pc.pageSize, kvDtype: pc.pool.dtype } : {}),
    });
    // A rejected policy frees the cache just made: a constructor that throws leaves nothing allocated.
    try {
      if (opts.policy && this.mode === 'recompute') throw new InvalidArgumentError('a cache policy needs a cache: drop recompute mode or the policy');
      this.#policy = opts.policy ? new PolicyRunner(model.backend, this.cache, c.nHeads, opts.policy) : undefined;
    } catch (e) {
      this.cache.dispose();
      throw e;
    }
    this.#rope = { nHeads: c.nHeads, headDim: c.headDim, theta: c.ropeTheta, layout: c.ropeLayout };
    this.#ropeK = { ...this.#rope, nHeads: c.nKvHeads };
  }

  get tokens(): readonly number[] {
    return this.#tokens;
  }

  get position(): number {
    return this.#tokens.length;
  }

  /**
   * Feed tokens (a prompt, or one sampled token) and return the logits after the last one, or after
   * every one with `allLogits` (`[m * vocab]`, for perplexity).
   */
  async append(input: readonly number[], opts: { allLogits?: boolean } = {}): Promise<Float32Array> {
    let tokens = input;
    if (tokens.length === 0) throw new InvalidArgumentError('append needs at least one token');
    const end = this.#tokens.length + tokens.length;
    if (end > this.maxTokens) throw new ContextOverflowError(`${end} tokens exceed the context of ${this.maxTokens}`);
    const vocab = this.model.config.vocabSize;
    for (const t of tokens) if (!(Number.isInteger(t) && t >= 0 && t < vocab)) throw new InvalidArgumentError(`token id ${t} outside the vocabulary of ${vocab}`);
    if (this.mode === 'cache') {
      const pc = this.#opts.prefixCache;
      const prefill = this.#tokens.length === 0;
      if (pc && prefill && !opts.allLogits) {
        // Whole cached pages of the prompt are adopted, not recomputed. The last token always is, and
        // so are the last `window` queries whose attention a policy scores the prompt with.
        const w = this.#policy ? Math.max(1, prefillStatsNeeded(this.#policy.policy)?.window ?? 1) : 1;
        const hit = pc.lookup(tokens, tokens.length - w);
        this.#reused = hit?.tokens ?? 0;
        if (hit) {
          pc.adopt(this.cache, hit);
          this.#tokens.push(...tokens.slice(0, hit.tokens));
          tokens = tokens.slice(hit.tokens);
        }
      }
      const phase = prefill ? 'prefill' : 'decode';
      this.#slideWindows(0);
      this.#policy?.beforeAppend(tokens.length, phase);
      const logits = await this.#forward(Int32Array.from(tokens), this.#tokens.length, opts.allLogits ?? false, phase);
      this.#tokens.push(...tokens);
      this.#slideWindows(1);
      // The prompt's whole pages go to the prefix cache before a policy compresses this session's copy.
      if (pc && tokens.length > 1) pc.insert(this.#tokens, this.cache);
      // A prompt compresses as a whole, adopted pages included: the policy sees every token of it.
      await this.#policy?.afterAppend(phase === 'prefill' ? this.#tokens.length : tokens.length, phase);
      return logits;
    }
    // No cache: the K/V below are scratch for this one pass and are thrown away afterwards.
    this.cache.clear();
    const all = Int32Array.from([...this.#tokens, ...tokens]);
    const logits = await this.#forward(all, 0, opts.allLogits ?? false, 'prefill');
    this.cache.clear();
    this.#tokens.push(...tokens);
    return opts.allLogits ? logits.subarray((all.length - tokens.length) * vocab) : logits;
  }

  /** The forward pass: the whole data path of one chunk of tokens, layer by layer. */
  async #forward(tokens: Int32Array, start: number, allLogits: boolean, phase: 'prefill' | 'decode'): Promise<Float32Array> {
    const { backend: b, config: c } = this.model;
    const m = tokens.length;
    const a = this.#activations(m, allLogits);
    const positions = Int32Array.from({ length: m }, (_, i) => start + i);
    const scale = 1 / Math.sqrt(c.headDim);
    b.embed(a.x, this.model.tokenEmbedding, tokens);
    this.model.layers.forEach((w, l) => {
      b.rmsnorm(a.xb, a.x, w.attnNorm, c.normEps);
      b.matmul(a.q, a.xb, w.wq);
      b.rope(a.q, positions, this.#rope);
      if (w.wk && w.wv) {
        b.matmul(a.k, a.xb, w.wk);
        b.matmul(a.v, a.xb, w.wv);
        b.rope(a.k, positions, this.#ropeK);
        this.cache.write(l, positions, a.k, a.v);
      }
      const stats = this.#policy?.statsFor(l, phase);
      const window = c.slidingWindow?.[l] ?? undefined;
      b.attention(a.att, a.q, positions, this.cache.view(l), { nHeads: c.nHeads, scale, ...(window ? { slidingWindow: window } : {}), ...(stats ? { stats } : {}) });
      b.matmul(a.o, a.att, w.wo);
      b.add(a.x, a.x, a.o);
      b.rmsnorm(a.xb, a.x, w.ffnNorm, c.normEps);
      b.matmul(a.h1, a.xb, w.w1);
      b.matmul(a.h3, a.xb, w.w3);
      b.siluMul(a.h1, a.h1, a.h3);
      b.matmul(a.o, a.h1, w.w2);
      b.add(a.x, a.x, a.o);
    });
    if (a.allLogits) {
      b.rmsnorm(a.xb, a.x, this.model.finalNorm, c.normEps);
      b.matmul(a.allLogits, a.xb, this.model.output);
      return b.read(a.allLogits);
    }
    b.copy(a.last, a.x, c.dim, (m - 1) * c.dim, 0);
    b.rmsnorm(a.last, a.last, this.model.finalNorm, c.normEps);
    b.matmul(a.logits, a.last, this.model.output);
    return b.read(a.logits);
  }

  /**
   * Sliding-window layers hold the last w positions between steps, as `cacheBytes` counts (min(t, w)):
   * after a forward pass they trim to w (`extra` 1; a long prompt needed all its keys while it ran),
   * and before new tokens arrive to the w - 1 the first of them can see (`extra` 0).
   */
  #slideWindows(extra: 0 | 1): void {
    const windows = this.model.config.slidingWindow;
    if (!windows) return;
    const next = this.#tokens.length;
    for (const l of this.cache.sourceLayers) {
      const w = windows[l];
      if (w == null) continue;
      const kv = this.cache.layer(l);
      for (let h = 0; h < kv.nKvHeads; h++) {
        const pos = kv.positionsOf(h);
        const keep: number[] = [];
        pos.forEach((p, j) => p > next - w - extra && keep.push(j));
        if (keep.length < pos.length) kv.retain(h, keep);
      }
    }
  }

  #activations(m: number, allLogits: boolean): Activations {
    const key = `${m}:${allLogits}`;
    let a = this.#acts.get(key);
    if (!a) {
      // Keep the decode scratch (m = 1) and the latest prefill size; drop older prefill scratch.
      for (const [k, old] of this.#acts) if (!k.startsWith('1:')) (old[Symbol.dispose](), this.#acts.delete(k));
      a = new Activations(this.model.backend, this.model.config, m, allLogits);
      this.#acts.set(key, a);
    }
    return a;
  }

  /** Tokens of the first prompt taken from the prefix cache instead of being computed (0 without one). */
  get reusedPrefixTokens(): number {
    return this.#reused;
  }

  /** Cache accounting; a recompute session holds no K/V between steps, so it reports zeros. */
  stats(): CacheStats {
    const s = this.cache.stats();
    if (this.mode === 'cache') return s;
    return { bytesUsed: 0, bytesReserved: 0, bytesAllocated: s.bytesAllocated, bytesPerToken: 0, tokensHeld: s.tokensHeld.map((h) => h.map(() => 0)) };
  }

  /** What the policy did so far (prefill compression per layer and head), empty without a policy. */
  get compressions(): readonly CompressionReport[] {
    return this.#policy?.reports ?? [];
  }

  /** The policy's per-layer token budget, once known. */
  get budget(): number | undefined {
    return this.#policy?.budget;
  }

  /**
   * The same sequence on another model instance, e.g. the CPU backend after the GPU device was lost:
   * a new session with the same options re-reads every token so far in one prefill (a policy then
   * compresses them as one prompt).
   */
  async replayOn(model: LlamaModel): Promise<{ session: Session; logits: Float32Array | undefined }> {
    const session = new Session(model, this.#opts);
    const logits = this.#tokens.length ? await session.append(this.#tokens) : undefined;
    return { session, logits };
  }

  /**
   * The session as bytes: the model's identity, the options, the tokens, the cache's bytes in use and
   * the policy's state (scores, budget), so that `Session.restore` continues exactly as this session
   * would. Size: about `stats().bytesUsed` plus a header (and H2O/TOVA scores, 8 bytes per token).
   */
  async snapshot(opts: SnapshotOptions = {}): Promise<Uint8Array> {
    return encodeSessionSnapshot({
      identity: this.model.identity,
      config: this.model.config,
      backend: this.model.backend,
      mode: this.mode,
      maxTokens: this.maxTokens,
      policy: this.#opts.policy ? { ...this.#opts.policy, policy: this.#policy!.policy } : undefined,
      tokens: this.#tokens,
      cache: this.cache,
      policyState: this.#policy?.exportState(),
      ...(opts.text ? { text: opts.text } : {}),
      ...(opts.meta !== undefined ? { meta: opts.meta } : {}),
    });
  }

  /**
   * A session rebuilt from `snapshot()` bytes on this model (any backend): it continues bit-exactly.
   * Bad bytes throw a typed error (SNAPSHOT_TRUNCATED, SNAPSHOT_BAD_MAGIC, SNAPSHOT_VERSION,
   * SNAPSHOT_CHECKSUM, SNAPSHOT_MALFORMED, SNAPSHOT_MODEL_MISMATCH, SNAPSHOT_OPTIONS_MISMATCH) and
   * leave nothing allocated.
   */
  static restore(model: LlamaModel, bytes: Uint8Array, opts: RestoreOptions = {}): Session {
    return restoreSessionSnapshot(model, bytes, opts).session;
  }

  /**
   * A second session holding everything this one holds (tokens, cache, policy state), on the same
   * model; the two then go their own ways. On a prefix cache's pool the two share every page (a page
   * is copied when one of them writes into it); otherwise it is a copy of the bytes in use (a
   * snapshot restored at once), costing `stats().bytesUsed` more memory.
   */
  async fork(): Promise<Session> {
    if (!this.cache.sharesPool) return Session.restore(this.model, await this.snapshot());
    // On a prefix cache's pool the fork shares every page; whichever session writes to one copies it.
    const fork = new Session(this.model, this.#opts);
    fork.cache.shareFrom(this.cache);
    adopt(fork, this.#tokens, this.#policy?.exportState());
    return fork;
  }

  /** Start a new sequence on the same model. */
  reset(): void {
    this.#tokens.length = 0;
    this.cache.clear();
  }

  /** Restore's second half: the tokens and the policy's state into a session built on the snapshot's storage. */
  static #adopt(session: Session, tokens: readonly number[], policyState: ReturnType<PolicyRunner['exportState']> | undefined): void {
    if (policyState) session.#policy?.importState(policyState);
    session.#tokens.push(...tokens);
  }

  static {
    adopt = (session, tokens, state) => Session.#adopt(session, tokens, state);
  }

  [Symbol.dispose](): void {
    this.#policy?.[Symbol.dispose]();
    for (const a of this.#acts.values()) a[Symbol.dispose]();
    this.cache.dispose();
  }
}


/** `Session.restore`, also returning the header's text state and application meta (TextSession uses them). */
export function restoreSessionSnapshot(model: LlamaModel, bytes: Uint8Array, opts: RestoreOptions = {}): { session: Session; text: TextSnapshotState | null; meta: unknown } {
  const d = decodeSessionSnapshot(bytes, model.identity, opts);
  const h = d.header;
  const c = h.cache;
  const options: SessionOptions = {
    mode: h.session.mode,
    maxTokens: h.session.maxTokens,
    ...(h.session.policy ? { policy: h.session.policy } : {}),
    ...(c ? { layout: c.layout, kvDtype: c.kvDtype, ...(c.layout === 'paged' ? { pageSize: c.pageSize } : {}), ...(c.kivi ? { kivi: c.kivi } : {}) } : {}),
  };
  // Checksums passed, so options this model rejects mean a header that was written wrong.
  const malformed = (e: unknown) =>
    e instanceof KvkitError && !e.code.startsWith('SNAPSHOT_') && ['INVALID_ARGUMENT', 'INVALID_POLICY_CONFIG', 'SHAPE_MISMATCH', 'BUDGET_TOO_SMALL'].includes(e.code)
      ? new SnapshotMalformedError(`the snapshot describes a session this model cannot hold: ${e.message}`)
      : e;
  let session: Session;
  try {
    session = new Session(model, options, d.cache?.options.image);
  } catch (e) {
    throw malformed(e);
  }
  try {
    d.cache?.apply(session.cache);
    adopt(session, d.tokens, d.policyState);
  } catch (e) {
    session[Symbol.dispose]();
    throw malformed(e);
  }
  return { session, text: h.text, meta: h.meta };
}
