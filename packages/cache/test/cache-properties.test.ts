// Random sequences of cache operations (prefill with policy compression, decode steps under a window or
// StreamingLLM budget, random evictions, clears) on every layout x KV dtype, with and without layers that
// share K/V, checked after every step against a float64 model of what the cache must hold: the positions
// and values per head, the per-head counts, bytesUsed against the byte formula, attention against a
// float64 reference over the held tokens, and the page pool (no page leaked, none held twice).
// fast-check shrinks a failing sequence and prints its seed and path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KvDtype } from '@kvkit/tensor';
import { CpuBackend, kiviBits } from '@kvkit/tensor';
import type { CacheLayoutKind } from '../src/index.js';
import { CacheFullError, KvCache, PolicyRunner, headTokenBytes, kiviHeadBytes } from '../src/index.js';
import type { Token } from './kv-reader.js';
import { readHead } from './kv-reader.js';
import { Prng } from './policy-reference.js';

const cpu = new CpuBackend();
const D = 8;
const MAX_TOKENS = 32;
const KIVI = { group: 4, residual: 8 };
const SINKS = 2;
/** Sequences per layout x KV dtype (short ones: the whole file runs in well under a minute). */
const RUNS = Number(process.env.KVKIT_CACHE_RUNS ?? 1000);

/** Largest error of a stored value for values in [-2, 2]: rounding (floats), half a step (int8 blocks, KIVI groups of range <= 4). */
const TOLERANCE: Record<KvDtype, number> = { f32: 0, f16: 2 * 2 ** -11, bf16: 2 * 2 ** -8, int8: 2 / 127, kivi4: 4 / 15 / 2 + 0.01, kivi2: 4 / 3 / 2 + 0.01 };

type Op = { kind: 'decode'; m: number } | { kind: 'evict'; layer: number; head: number; mask: boolean[] } | { kind: 'clear' };
interface Sequence {
  kvSource: number[];
  nKvHeads: number;
  policy: 'none' | 'window' | 'streaming';
  budget: number;
  prefill: number;
  poolShare: number;
  ops: Op[];
  seed: number;
}

const sequence: fc.Arbitrary<Sequence> = fc.record({
  kvSource: fc.constantFrom([0], [0, 1], [0, 0], [0, 0, 2], [0, 1, 1]),
  nKvHeads: fc.constantFrom(1, 2),
  policy: fc.constantFrom('none' as const, 'window' as const, 'streaming' as const),
  budget: fc.integer({ min: 5, max: 12 }),
  prefill: fc.integer({ min: 1, max: 12 }),
  poolShare: fc.constantFrom(0.5, 0.75, 1),
  ops: fc.array(
    fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('decode' as const), m: fc.integer({ min: 1, max: 3 }) }), weight: 4 },
      { arbitrary: fc.record({ kind: fc.constant('evict' as const), layer: fc.nat(2), head: fc.nat(1), mask: fc.array(fc.boolean(), { maxLength: 40 }) }), weight: 2 },
      { arbitrary: fc.constant({ kind: 'clear' as const }), weight: 1 },
    ),
    { maxLength: 4 },
  ),
  seed: fc.integer(),
});

interface Held {
  p: number;
  k: Float32Array;
  v: Float32Array;
}

/** The float64 model: per source layer, per KV head, the tokens that must be held. */
class Model {
  readonly heads = new Map<number, Held[][]>();
  constructor(sources: number[], nKvHeads: number) {
    for (const s of sources) this.heads.set(s, Array.from({ length: nKvHeads }, () => []));
  }
  append(layer: number, positions: number[], k: Float32Array, v: Float32Array, nKvHeads: number): void {
    this.heads.get(layer)!.forEach((toks, h) =>
      positions.forEach((p, i) => toks.push({ p, k: k.slice((i * nKvHeads + h) * D, (i * nKvHeads + h + 1) * D), v: v.slice((i * nKvHeads + h) * D, (i * nKvHeads + h + 1) * D) })),
    );
  }
  /** Keep only the tokens of the given positions in every head. */
  keepPositions(keep: (toks: Held[]) => Set<number>): void {
    for (const heads of this.heads.values()) heads.forEach((toks, h) => (heads[h] = toks.filter((t) => keep(toks).has(t.p))));
  }
}

/** Positions a window of `budget` (after making room for `m`) or StreamingLLM keeps, by position alone. */
function policyKeep(policy: Sequence['policy'], budget: number, m: number, toks: Held[]): Set<number> {
  const pos = toks.map((t) => t.p).sort((a, b) => a - b);
  if (policy === 'none' || pos.length + m <= budget) return new Set(pos);
  if (policy === 'window') return new Set(pos.slice(pos.length - (budget - m)));
  const recent = budget - SINKS - m;
  return new Set([...pos.slice(0, SINKS), ...pos.slice(pos.length - recent)]);
}

function refAttention(q: Float32Array, qpos: number, heads: Token[][], H: number): Float64Array {
  const g = H / heads.length;
  const out = new Float64Array(H * D);
  for (let h = 0; h < H; h++) {
    const toks = heads[Math.floor(h / g)]!.filter((t) => t.p <= qpos);
    const s = toks.map((t) => t.k.reduce((a, x, c) => a + x * q[h * D + c]!, 0) / Math.sqrt(D));
    const mx = Math.max(...s);
    const e = s.map((x) => Math.exp(x - mx));
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((x, j) => {
      for (let c = 0; c < D; c++) out[h * D + c] += (x / z) * toks[j]!.v[c]!;
    });
  }
  return out;
}

async function check(cache: KvCache, model: Model, seq: Sequence, dtype: KvDtype, layout: CacheLayoutKind, holes: boolean, rng: Prng): Promise<void> {
  const stats = cache.stats();
  const pool = cache.pool;
  const seen = new Set<number>();
  let pagesHeld = 0;
  let bytes = 0;
  for (const [s, heads] of model.heads) {
    const kv = cache.layer(s);
    const { pageTable, pagesPerHead, pageSize } = kv.view;
    const held = await Promise.all(Array.from({ length: seq.nKvHeads }, (_, h) => readHead(kv.view, h)));
    for (let h = 0; h < seq.nKvHeads; h++) {
      const want = heads[h]!;
      // Held positions and per-head counts, also as layers that share this one's K/V see them.
      expect([...kv.positionsOf(h)].sort((a, b) => a - b)).toEqual(want.map((t) => t.p).sort((a, b) => a - b));
      seq.kvSource.forEach((src, l) => src === s && expect(stats.tokensHeld[l]![h]).toBe(want.length));
      // Values, dequantised by an independent reader, within the dtype's error of what was written.
      const got = held[h]!;
      const byPos = new Map(want.map((t) => [t.p, t]));
      const relative = dtype === 'f16' || dtype === 'bf16';
      let worst = 0;
      for (const t of got) {
        const w = byPos.get(t.p)!;
        for (let c = 0; c < D; c++) {
          for (const [x, y] of [[t.k[c]!, w.k[c]!], [t.v[c]!, w.v[c]!]]) {
            // Excess over the dtype's bound (<= 0 when within it); one expect per head keeps the loop cheap.
            worst = Math.max(worst, Math.abs(x! - y!) - TOLERANCE[dtype] * (relative ? Math.abs(y!) : 1) - 1e-7);
          }
        }
      }
      expect(worst, `layer ${s} head ${h}: a value off by more than the ${dtype} bound`).toBeLessThanOrEqual(0);
      // Pages: none held twice; paged layouts hold exactly the pages their slots need.
      let mine = 0;
      for (let p = 0; p < pagesPerHead; p++) {
        const page = pageTable[h * pagesPerHead + p]!;
        if (page < 0) continue;
        expect(seen.has(page), `page ${page} held twice`).toBe(false);
        seen.add(page);
        mine++;
      }
      pagesHeld += mine;
      expect(mine).toBe(layout === 'paged' ? Math.ceil(kv.lengths[h]! / pageSize) : pagesPerHead);
      bytes += kiviBits(dtype) ? kiviHeadBytes(want.length, D, kiviBits(dtype) as 2 | 4, KIVI) : want.length * (headTokenBytes(dtype, D, 'key') + headTokenBytes(dtype, D, 'value'));
    }
    // Attention at a query after every held position equals float64 attention over the held (dequantised) tokens.
    const H = 2 * seq.nKvHeads;
    const q = Float32Array.from({ length: H * D }, () => rng.normal());
    const out = cpu.tensor('f32', [1, H * D]);
    cpu.attention(out, cpu.tensor('f32', [1, H * D], q), Int32Array.of(1000), kv.view, { nHeads: H, scale: 1 / Math.sqrt(D) });
    if (held.every((t) => t.length > 0)) {
      const want = refAttention(q, 1000, held, H);
      let worst = 0;
      (await cpu.read(out)).forEach((x, i) => (worst = Math.max(worst, Math.abs(x - want[i]!))));
      expect(worst, `layer ${s}: attention differs from the float64 reference`).toBeLessThan(1e-5);
    }
    out.dispose();
  }
  expect(pagesHeld + pool.freePages).toBe(pool.totalPages);
  // KIVI's formula assumes no holes (an evicted KIVI token stays a dead slot until its page empties).
  if (!(kiviBits(dtype) && holes)) expect(stats.bytesUsed).toBe(bytes);
  const counts = [...model.heads.values()].flatMap((hs) => hs.map((t) => t.length));
  if (!holes && counts.every((n) => n === counts[0])) expect(stats.bytesUsed).toBe(cache.bytesAt(counts[0]!));
}

async function run(seq: Sequence, layout: CacheLayoutKind, dtype: KvDtype): Promise<void> {
  const rng = new Prng(seq.seed);
  const sources = seq.kvSource.filter((s, l) => s === l);
  const kivi = kiviBits(dtype) !== undefined;
  const pageSize = 4;
  const fullPool = sources.length * seq.nKvHeads * Math.ceil(MAX_TOKENS / pageSize);
  using cache = new KvCache(cpu, {
    nLayers: seq.kvSource.length,
    nKvHeads: seq.nKvHeads,
    headDim: D,
    kvSource: seq.kvSource,
    maxTokens: MAX_TOKENS,
    layout,
    kvDtype: dtype,
    kivi: KIVI,
    ...(layout === 'paged' ? { pageSize, poolPages: Math.max(1, Math.round(fullPool * seq.poolShare)) } : {}),
  });
  const runner = seq.policy === 'none' ? undefined : new PolicyRunner(cpu, cache, 2 * seq.nKvHeads, { policy: seq.policy === 'window' ? { kind: 'window', window: seq.budget } : { kind: 'streaming', sinks: SINKS }, budget: { budget: seq.budget } });
  const model = new Model(sources, seq.nKvHeads);
  let next = 0;
  let holes = false;
  /**
   * Writes m tokens to every source layer. A write is atomic per layer: a full pool refuses a layer's
   * whole write and changes nothing in it (earlier layers keep theirs, as KvCache.write is per layer).
   */
  const write = (m: number): boolean => {
    const positions = Array.from({ length: m }, (_, i) => next + i);
    next += m;
    let all = true;
    for (const s of sources) {
      const [k, v] = [0, 1].map(() => Float32Array.from({ length: m * seq.nKvHeads * D }, () => rng.next() * 4 - 2)) as [Float32Array, Float32Array];
      try {
        cache.write(s, Int32Array.from(positions), cpu.tensor('f32', [m, seq.nKvHeads * D], k), cpu.tensor('f32', [m, seq.nKvHeads * D], v));
      } catch (e) {
        if (!(e instanceof CacheFullError)) throw e;
        all = false;
        continue;
      }
      model.append(s, positions, k, v, seq.nKvHeads);
    }
    return all;
  };

  if (write(seq.prefill) && runner) {
    await runner.afterAppend(seq.prefill, 'prefill');
    model.keepPositions((toks) => policyKeep(seq.policy, seq.budget, 0, toks));
    if (kivi) holes = true;
  }
  await check(cache, model, seq, dtype, layout, holes, rng);
  for (const op of seq.ops) {
    if (op.kind === 'decode') {
      if (runner) {
        runner.beforeAppend(op.m, 'decode');
        const before = [...model.heads.values()].some((hs) => hs.some((t) => t.length + op.m > seq.budget));
        model.keepPositions((toks) => policyKeep(seq.policy, seq.budget, op.m, toks));
        if (before && kivi) holes = true;
      }
      write(op.m);
      await runner?.afterAppend(op.m, 'decode');
    } else if (op.kind === 'evict') {
      const s = sources[op.layer % sources.length]!;
      const h = op.head % seq.nKvHeads;
      const toks = model.heads.get(s)![h]!;
      const kv = cache.layer(s);
      // Live index i of the cache is the token at positionsOf(h)[i]; keep those the mask marks.
      const pos = kv.positionsOf(h);
      const keep = Array.from(pos.keys()).filter((i) => op.mask[i] ?? true);
      kv.retain(h, keep);
      const kept = new Set(keep.map((i) => pos[i]!));
      model.heads.get(s)![h] = toks.filter((t) => kept.has(t.p));
      if (kivi && keep.length < pos.length) holes = true;
    } else {
      cache.clear();
      for (const heads of model.heads.values()) heads.forEach((_, h) => (heads[h] = []));
      holes = false;
    }
    await check(cache, model, seq, dtype, layout, holes, rng);
  }
  runner?.[Symbol.dispose]();
}

const LAYOUTS: CacheLayoutKind[] = ['contiguous', 'paged'];
const DTYPES: KvDtype[] = ['f32', 'f16', 'bf16', 'int8', 'kivi4', 'kivi2'];

describe.each(LAYOUTS.flatMap((layout) => DTYPES.map((dtype) => [layout, dtype] as const)))('cache properties: %s layout, %s', (layout, dtype) => {
  it(`${RUNS} random sequences match the float64 model after every step`, async () => {
    await fc.assert(
      fc.asyncProperty(sequence, (seq) => run(seq, layout, dtype)),
      { numRuns: RUNS },
    );
  }, 120_000);
});
