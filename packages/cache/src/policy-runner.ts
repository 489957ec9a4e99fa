import type { AttentionStats, Backend, Tensor } from '@kvkit/tensor';
import { resolveBudget } from './budget.js';
import { InvalidPolicyConfigError } from './errors.js';
import type { BudgetSpec } from './budget.js';
import type { KvCache } from './kv-cache.js';
import type { PolicyConfig, PolicyInput } from './policies/config.js';
import { prefillStatsNeeded, resolvePolicy } from './policies/config.js';
import { h2oAccumulate, h2oEvict, h2oPrefillScores, h2oSplit } from './policies/h2o.js';
import { selectPrefill } from './policies/prefill.js';
import type { LayerReport } from './policies/report.js';
import { gqaReduce } from './policies/select.js';
import type { GqaReduce } from './policies/select.js';
import type { PrefillStats } from './policies/stats.js';
import { streamingEvict, streamingSplit } from './policies/streaming.js';
import { meanOverHeads, tovaEvict } from './policies/tova.js';
import { windowEvict } from './policies/window.js';

export interface CachePolicyOptions {
  readonly policy: PolicyInput;
  /** Tokens per layer, a ratio of the prompt, or bytes for the whole cache. */
  readonly budget: BudgetSpec;
  /**
   * Prefill methods (SnapKV, PyramidKV, Ada-KV, DynamicKV) in decode mode: every `recompressInterval`
   * decoded tokens, compress the whole cache back to the budget, scoring with the attention of the
   * last `window` decoded queries (kvpress's DecodingPress). Off by default: the cache then grows by
   * one token per step after the prompt's compression, as in the reference code.
   */
  readonly recompressInterval?: number;
}

/** What one compression did: per layer and KV head tokens before/after, and the bytes it freed. */
export interface CompressionReport {
  readonly phase: 'prefill' | 'decode';
  /** Per-layer token budget the spec resolved to. */
  readonly budget: number;
  readonly layers: readonly (LayerReport & { readonly bytesFreed: number })[];
}

type Phase = 'prefill' | 'decode';

/** What a policy carries between steps besides the cache itself (a snapshot stores it). */
export interface PolicyRunnerState {
  /** The per-layer token budget, once known. */
  readonly budget: number | undefined;
  /** Tokens decoded since the prompt (recompression's step counter). */
  readonly decoded: number;
  readonly reports: readonly CompressionReport[];
  /** Per source layer: H2O's accumulated score per KV head, or TOVA's one row, for the live tokens in order. */
  readonly scores: ReadonlyMap<number, readonly Float64Array[]>;
  /** Recompression: the window sums gathered so far in this interval, per source layer ([nHeads, capacitySlots]). */
  readonly recent: ReadonlyMap<number, Float64Array>;
}

/**
 * Runs a policy against a cache: asks the backend's attention for the statistics it needs, compresses
 * the prompt after prefill (`afterPrefill`), and keeps decoding within budget (`beforeAppend`, and
 * the per-step statistics of H2O and TOVA). Scoring and selection are the pure functions of
 * `policies/`; this class only moves data between them, the backend and the layout.
 */
export class PolicyRunner implements Disposable {
  readonly policy: PolicyConfig;
  readonly #backend: Backend;
  readonly #cache: KvCache;
  readonly #nHeads: number;
  readonly #spec: BudgetSpec;
  #budget: number | undefined;
  /** Per owning layer: statistics tensors the attention fills, [nHeads, capacitySlots]. */
  readonly #window = new Map<number, Tensor>();
  readonly #columns = new Map<number, Tensor>();
  /** H2O: accumulated score per [kvHead][logical slot]; TOVA: the last query's mean attention per slot. */
  readonly #scores = new Map<number, Float64Array[]>();
  #reports: CompressionReport[] = [];
  #zeros = new Float32Array(0);
  readonly #interval: number | undefined;
  #decoded = 0;
  /** Recompression: window sums of the last decoded queries, per owning layer, [nHeads, capacitySlots]. */
  readonly #recent = new Map<number, Float64Array>();

  constructor(backend: Backend, cache: KvCache, nHeads: number, opts: CachePolicyOptions) {
    this.policy = resolvePolicy(opts.policy);
    this.#backend = backend;
    this.#cache = cache;
    this.#nHeads = nHeads;
    this.#spec = opts.budget;
    // Token budgets are known up front: validate them now rather than mid-generation.
    if ('budget' in opts.budget) this.#budget = resolveBudget(opts.budget, { n: 0, policy: this.policy }).tokens;
    if ('maxBytes' in opts.budget) this.#budget = this.#resolve(0);
    if (opts.recompressInterval !== undefined) {
      const w = prefillStatsNeeded(this.policy)?.window;
      const k = this.policy.kind;
      if (!(k === 'snapkv' || k === 'pyramidkv' || k === 'adakv' || k === 'dynamickv') || w == null) {
        throw new InvalidPolicyConfigError(`recompression applies to the prefill methods (snapkv, pyramidkv, adakv, dynamickv), not ${k}`);
      }
      if (!(Number.isSafeInteger(opts.recompressInterval) && opts.recompressInterval >= w)) {
        throw new InvalidPolicyConfigError(`recompressInterval must be an integer >= the window (${w}), got ${opts.recompressInterval}`);
      }
      this.#interval = opts.recompressInterval;
    }
  }

  /** Window of the prefill method's scoring, when it recompresses while decoding. */
  get #recompressWindow(): number | undefined {
    return this.#interval === undefined ? undefined : (prefillStatsNeeded(this.policy)?.window ?? undefined);
  }

  /** Per-layer token budget (after the prompt for a ratio budget). */
  get budget(): number | undefined {
    return this.#budget;
  }

  /** Compressions so far, oldest first (prefill, then decode evictions summarised per step). */
  get reports(): readonly CompressionReport[] {
    return this.#reports;
  }

  #resolve(n: number): number {
    // A byte budget covers the whole cache: every source layer and head at `t` tokens, KIVI residual included,
    // at its peak (just before a residual block is quantised), so the cache never passes the budget.
    return resolveBudget(this.#spec, { n, bytesForTokens: (t) => this.#cache.peakBytesAt(t), policy: this.policy }).tokens;
  }

  /** A copy of the state that decides future evictions (scores, budget, step counter). */
  exportState(): PolicyRunnerState {
    const scores = new Map<number, Float64Array[]>();
    for (const [l, rows] of this.#scores) {
      const kv = this.#cache.layer(l);
      scores.set(l, rows.map((r, h) => r.slice(0, kv.held(h))));
    }
    const recent = new Map<number, Float64Array>();
    for (const [l, acc] of this.#recent) recent.set(l, acc.slice());
    return { budget: this.#budget, decoded: this.#decoded, reports: this.#reports.slice(), scores, recent };
  }

  /** Takes the state `exportState` gave, for a cache already holding the same tokens. */
  importState(state: PolicyRunnerState): void {
    const scores = new Map<number, Float64Array[]>();
    for (const [l, rows] of state.scores) {
      if (!this.#cache.owns(l)) throw new InvalidPolicyConfigError(`policy state for layer ${l}, which owns no cache`);
      const kv = this.#cache.layer(l);
      scores.set(l, rows.map((r, h) => {
        if (r.length !== kv.held(h)) throw new InvalidPolicyConfigError(`policy scores of layer ${l} row ${h}: ${r.length} for ${kv.held(h)} tokens held`);
        const row = new Float64Array(kv.capacitySlots);
        row.set(r);
        return row;
      }));
    }
    for (const [l, acc] of state.recent) {
      if (!this.#cache.owns(l) || acc.length !== this.#nHeads * this.#cache.layer(l).capacitySlots) throw new InvalidPolicyConfigError(`recompression sums of layer ${l} do not fit the cache`);
    }
    this.#budget = state.budget;
    this.#decoded = state.decoded;
    this.#reports = state.reports.slice();
    this.#scores.clear();
    for (const [l, rows] of scores) this.#scores.set(l, rows);
    this.#recent.clear();
    for (const [l, acc] of state.recent) this.#recent.set(l, acc.slice());
  }

  /** The statistics to request from the attention of layer `layer` in this phase. */
  statsFor(layer: number, phase: Phase): AttentionStats | undefined {
    if (!this.#cache.owns(layer)) return undefined;
    const kind = this.policy.kind;
    if (phase === 'prefill') {
      const need = prefillStatsNeeded(this.policy);
      if (!need) return undefined;
      return {
        ...(need.window !== null ? { windowSums: this.#tensor(this.#window, layer), window: need.window } : {}),
        ...(need.columnSums ? { columnSums: this.#zeroed(this.#columns, layer) } : {}),
      };
    }
    if (kind === 'h2o') return { columnSums: this.#zeroed(this.#columns, layer) };
    if (kind === 'tova' || this.#inRecompressWindow()) return { windowSums: this.#tensor(this.#window, layer), window: 1 };
    return undefined;
  }

  /** Before `m` new tokens are written in decoding: evict so that every head stays within budget. */
  beforeAppend(m: number, phase: Phase): void {
    if (phase === 'prefill' || this.#budget === undefined) return;
    const B = this.#budget;
    const p = this.policy;
    for (const l of this.#cache.sourceLayers) {
      const kv = this.#cache.layer(l);
      const scores = this.#scores.get(l);
      // Window, StreamingLLM and TOVA (one score row per layer) choose from the positions alone, so a
      // head holding the same positions as the previous one (the usual case) keeps the same slots.
      const shared = p.kind !== 'h2o';
      let prev: { pos: Int32Array; keep: number[] } | undefined;
      for (let h = 0; h < kv.nKvHeads; h++) {
        const pos = kv.positionsOf(h);
        if (pos.length + m <= B) continue;
        let keep = shared && prev && samePositions(prev.pos, pos) ? prev.keep : undefined;
        if (!keep) {
          keep = this.#evictionKeep(pos, m, scores, h);
          if (!keep) continue; // prefill methods compress once; decoding appends (spec §0)
          if (shared) prev = { pos: pos.slice(), keep };
        }
        const order = kv.retain(h, keep);
        if (scores && p.kind === 'h2o') permute(scores[h]!, order);
        if (scores && p.kind === 'tova' && h === kv.nKvHeads - 1) permute(scores[0]!, order); // same keep in every head
      }
    }
  }

  /** The held slots of head h to keep so that `m` more tokens fit the budget (undefined: the policy does not evict while decoding). */
  #evictionKeep(pos: Int32Array, m: number, scores: Float64Array[] | undefined, h: number): number[] | undefined {
    const B = this.#budget!;
    const p = this.policy;
    switch (p.kind) {
      case 'window':
        return windowEvict(pos, B, m);
      case 'streaming': {
        const s = streamingSplit(p, B);
        return streamingEvict(pos, s.sinks, s.recent, m);
      }
      case 'h2o': {
        const s = h2oSplit(p, B);
        return h2oEvict(scores![h]!.subarray(0, pos.length), pos, s.heavy, s.recent, m);
      }
      case 'tova':
        return tovaEvict(scores![0]!.subarray(0, pos.length), B, m, pos);
      default:
        return undefined;
    }
  }

  /** After the forward pass of `m` tokens: compress the prompt, or fold this step's attention into scores. */
  async afterAppend(m: number, phase: Phase): Promise<CompressionReport | undefined> {
    if (phase === 'prefill') return this.#afterPrefill(m);
    if (this.#interval !== undefined) return this.#afterDecodeStep(m);
    const kind = this.policy.kind;
    if (kind !== 'h2o' && kind !== 'tova') return undefined;
    for (const l of this.#cache.sourceLayers) {
      const kv = this.#cache.layer(l);
      const cap = kv.capacitySlots;
      if (kind === 'h2o') {
        const cols = await this.#backend.read(this.#columns.get(l)!);
        const scores = this.#scores.get(l)!;
        for (let h = 0; h < kv.nKvHeads; h++) {
          const slots = kv.liveSlots(h);
          const reduced = reduceHead(cols, this.#nHeads, kv.nKvHeads, h, cap, slots, this.policy.gqa);
          h2oAccumulate(scores[h]!.subarray(0, slots.length), reduced);
        }
      } else {
        const rows = await this.#backend.read(this.#window.get(l)!);
        const slots = kv.liveSlots(0);
        const len = slots.length;
        const packed = new Float64Array(this.#nHeads * len);
        for (let q = 0; q < this.#nHeads; q++) for (let j = 0; j < len; j++) packed[q * len + j] = rows[q * cap + slots[j]!]!;
        const mean = meanOverHeads(packed, this.#nHeads, len);
        const s = this.#scoreRows(l, 1)[0]!;
        s.set(mean);
      }
    }
    return undefined;
  }

  async #afterPrefill(n: number): Promise<CompressionReport> {
    this.#budget = this.#resolve(n);
    const need = prefillStatsNeeded(this.policy);
    const layers = this.#cache.sourceLayers;
    const stats: PrefillStats[] = [];
    for (const l of layers) {
      const cap = this.#cache.layer(l).capacitySlots;
      // After a prefill from an empty cache, logical slot j holds position j in every head.
      const pack = async (t: Tensor | undefined) => (t ? packRows(await this.#backend.read(t), this.#nHeads, cap, n) : new Float64Array(this.#nHeads * n));
      const windowSums = await pack(need?.window != null ? this.#window.get(l) : undefined);
      const columnSums = need?.columnSums ? await pack(this.#columns.get(l)) : undefined;
      stats.push({ n, nHeads: this.#nHeads, nKvHeads: this.#cache.nKvHeads, windowSums, ...(columnSums ? { columnSums } : {}) });
    }
    const selection = selectPrefill(this.policy, stats, { tokens: this.#budget });
    const report = this.#apply(selection, stats, n, 'prefill', (_l, _h, pos) => pos);
    if (this.policy.kind === 'tova') for (const l of layers) this.#scoreRows(l, 1);
    return report;
  }

  /** The next decoding step is one of the last `w` before a recompression. */
  #inRecompressWindow(): boolean {
    const w = this.#recompressWindow;
    if (w === undefined) return false;
    const step = this.#decoded + 1; // the step about to run, 1-based since the prompt
    return step % this.#interval! > this.#interval! - w || step % this.#interval! === 0;
  }

  async #afterDecodeStep(m: number): Promise<CompressionReport | undefined> {
    const collecting = this.#inRecompressWindow();
    this.#decoded += m;
    const layers = this.#cache.sourceLayers;
    if (collecting) {
      for (const l of layers) {
        const rows = await this.#backend.read(this.#window.get(l)!);
        let acc = this.#recent.get(l);
        if (!acc) this.#recent.set(l, (acc = new Float64Array(rows.length)));
        for (let i = 0; i < rows.length; i++) acc[i]! += rows[i]!;
      }
    }
    if (this.#decoded % this.#interval! !== 0) return undefined;
    const B = this.#budget!;
    const held = Math.max(...layers.flatMap((l) => Array.from({ length: this.#cache.nKvHeads }, (_, h) => this.#cache.layer(l).held(h))));
    // Heads may be ragged (Ada-KV, PyramidKV): right-align every head on the newest token, so the
    // window is the last w entries everywhere, and pad the front with zero scores (never preferred).
    const stats: PrefillStats[] = layers.map((l) => {
      const kv = this.#cache.layer(l);
      const cap = kv.capacitySlots;
      const acc = this.#recent.get(l) ?? new Float64Array(this.#nHeads * cap);
      const g = this.#nHeads / kv.nKvHeads;
      const windowSums = new Float64Array(this.#nHeads * held);
      for (let q = 0; q < this.#nHeads; q++) {
        const slots = kv.liveSlots(Math.floor(q / g));
        for (let j = 0; j < slots.length; j++) windowSums[q * held + held - slots.length + j] = acc[q * cap + slots[j]!]!;
      }
      return { n: held, nHeads: this.#nHeads, nKvHeads: kv.nKvHeads, windowSums };
    });
    this.#recent.clear();
    const selection = selectPrefill(this.policy, stats, { tokens: B });
    const report = this.#apply(selection, stats, held, 'decode', (l, h, i) => i - (held - this.#cache.layer(l).held(h)));
    return report;
  }

  /** Compact every layer and head to the kept entries; `liveIndex` maps a selected index to a live token (< 0: padding). */
  #apply(
    selection: ReturnType<typeof selectPrefill>,
    stats: readonly PrefillStats[],
    n: number,
    phase: Phase,
    liveIndex: (layer: number, head: number, index: number) => number,
  ): CompressionReport {
    const layers = this.#cache.sourceLayers;
    const reports = selection.report.map((r, i) => {
      const l = layers[i]!;
      const kv = this.#cache.layer(l);
      const before = Array.from({ length: kv.nKvHeads }, (_, h) => kv.held(h));
      const bytesBefore = kv.bytesUsed();
      const orders = selection.kept[i]!.map((keep, h) => kv.retain(h, keep.map((p) => liveIndex(l, h, p)).filter((j) => j >= 0)));
      if (this.policy.kind === 'h2o') {
        // Prefill from an empty cache: the old live index is the prompt position.
        const full = h2oPrefillScores(stats[i]!, this.policy);
        this.#scores.set(l, orders.map((order, h) => {
          const row = new Float64Array(kv.capacitySlots);
          order.forEach((pos, j) => (row[j] = full[h * n + pos]!));
          return row;
        }));
      }
      const heads = before.map((b, h) => ({ kvHead: h, before: b, after: kv.held(h) }));
      return { ...r, heads, layer: l, bytesFreed: bytesBefore - kv.bytesUsed() };
    });
    const report: CompressionReport = { phase, budget: this.#budget!, layers: reports };
    this.#reports.push(report);
    return report;
  }

  #scoreRows(layer: number, rows: number): Float64Array[] {
    let s = this.#scores.get(layer);
    if (!s) {
      const cap = this.#cache.layer(layer).capacitySlots;
      s = Array.from({ length: rows }, () => new Float64Array(cap));
      this.#scores.set(layer, s);
    }
    return s;
  }

  #tensor(map: Map<number, Tensor>, layer: number): Tensor {
    let t = map.get(layer);
    if (!t) {
      t = this.#backend.tensor('f32', [this.#nHeads, this.#cache.layer(layer).capacitySlots]);
      map.set(layer, t);
    }
    return t;
  }

  /** Column sums accumulate inside attention, so each use starts from zero (one zero buffer, reused). */
  #zeroed(map: Map<number, Tensor>, layer: number): Tensor {
    const t = this.#tensor(map, layer);
    const size = this.#nHeads * this.#cache.layer(layer).capacitySlots;
    if (this.#zeros.length !== size) this.#zeros = new Float32Array(size);
    this.#backend.write(t, this.#zeros);
    return t;
  }

  [Symbol.dispose](): void {
    for (const t of [...this.#window.values(), ...this.#columns.values()]) t.dispose();
  }
}

/** [nHeads, cap] slot-indexed statistics -> [nHeads * n] for positions 0..n-1. */
function packRows(rows: Float32Array, nHeads: number, cap: number, n: number): Float64Array {
  const out = new Float64Array(nHeads * n);
  for (let h = 0; h < nHeads; h++) for (let j = 0; j < n; j++) out[h * n + j] = rows[h * cap + j]!;
  return out;
}

/** Reduction over the query heads of KV head `kvHead` of one step's attention, at its live slots. */
function reduceHead(rows: Float32Array, nHeads: number, nKvHeads: number, kvHead: number, cap: number, slots: Int32Array, mode: GqaReduce): Float64Array {
  const g = nHeads / nKvHeads;
  const len = slots.length;
  const packed = new Float64Array(g * len);
  for (let q = 0; q < g; q++) for (let j = 0; j < len; j++) packed[q * len + j] = rows[(kvHead * g + q) * cap + slots[j]!]!;
  return gqaReduce(packed, g, 1, len, mode);
}

/**
 * Reorder a live-indexed score row as `LayerKv.retain` reordered the tokens (sources are never
 * overwritten first); entries past the kept ones are zeroed, so a token appended there starts from 0.
 */
function permute(row: Float64Array, order: Int32Array): void {
  order.forEach((j, i) => (row[i] = row[j]!));
  row.fill(0, order.length);
}

function samePositions(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
