// The prefix cache: whole pages of a prompt shared read-only between sessions through one pool. A
// warm prompt adopts the cached pages and computes only the rest, with the logits and tokens of a
// cold run; forks share every page and copy only the page they write; eight conversations over one
// document hold far less than eight private caches; and random sequences of operations never leak or
// double-free a page (refcounts return to zero, the pool's free count to its start).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrefixCache } from '@kvkit/cache';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend } from '@kvkit/tensor';
import { LlamaModel, Session } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';
import { greedy, held } from './snapshot-roundtrip.js';

const cpu = new CpuBackend();
let loaded: LoadedModel;
let model: LlamaModel;
/** stories260K's reference story three times over: token ids enough for long prompts. */
const IDS = [...reference.generated_ids, ...reference.generated_ids, ...reference.generated_ids];
const DOC = [1, ...IDS.slice(0, 479)]; // 480 tokens: 30 whole pages of 16
const question = (i: number) => IDS.slice(500 + 8 * i, 508 + 8 * i);

function prefixCache(opts: { pages?: number; maxBytes?: number; kvDtype?: 'f32' | 'int8' } = {}): PrefixCache {
  const c = model.config;
  return new PrefixCache(cpu, { nLayers: c.nLayers, nKvHeads: c.nKvHeads, headDim: c.headDim, kvSource: c.kvSource, pages: opts.pages ?? 2000, maxBytes: opts.maxBytes ?? 1 << 30, ...(opts.kvDtype ? { kvDtype: opts.kvDtype } : {}) });
}

function refCounts(pc: PrefixCache): number {
  let n = 0;
  for (let p = 0; p < pc.pool.totalPages; p++) n += pc.pool.refCount(p);
  return n;
}

beforeAll(async () => {
  loaded = await loadModel(`${STORIES}stories260K.bin`);
  model = LlamaModel.load(cpu, loaded);
});
afterAll(() => model.dispose());

describe('PrefixCache', () => {
  it.each(['f32', 'int8'] as const)('%s: a warm prompt reuses the cached pages and gives the cold logits and tokens', async (kvDtype) => {
    using pc = prefixCache({ kvDtype });
    using cold = new Session(model, { prefixCache: pc });
    await greedy(cold, [...DOC, ...question(0)], 4);
    expect(cold.reusedPrefixTokens).toBe(0);
    expect(pc.blocks).toBe(30); // the document's 30 whole pages (the question's 8 tokens are no whole page)
    using warm = new Session(model, { prefixCache: pc });
    using plain = new Session(model, { kvDtype, layout: 'paged' });
    const prompt = [...DOC, ...question(1)];
    expect(await warm.append(prompt)).toEqual(await plain.append(prompt));
    expect(warm.reusedPrefixTokens).toBe(480);
    const next = [IDS[300]!];
    expect(await greedy(warm, next, 12)).toEqual(await greedy(plain, next, 12));
    expect(held(warm)).toEqual(held(plain));
    expect(warm.stats().bytesUsed).toBe(plain.stats().bytesUsed);
  });

  it.each([
    ['snapkv', { kind: 'snapkv', window: 8 }],
    ['pyramidkv', { kind: 'pyramidkv', window: 8 }],
    ['dynamickv', { kind: 'dynamickv', window: 8 }],
    ['tova', { kind: 'tova' }],
    ['streaming', { kind: 'streaming', sinks: 4 }],
  ] as const)('%s compresses a warm prompt exactly as a cold one, on its own pages', async (_, policy) => {
    using pc = prefixCache({ kvDtype: 'int8' });
    const opts = { policy: { policy, budget: { budget: 64 } } };
    {
      using first = new Session(model, { ...opts, prefixCache: pc });
      await first.append([...DOC, ...question(0), ...question(1)]);
    }
    expect(pc.blocks).toBe(31); // the uncompressed prompt's whole pages, cached before the policy ran
    const prompt = [...DOC, ...question(2), ...question(3)];
    using warm = new Session(model, { ...opts, prefixCache: pc });
    using cold = new Session(model, { ...opts, kvDtype: 'int8', layout: 'paged' });
    expect(await warm.append(prompt)).toEqual(await cold.append(prompt));
    expect(warm.reusedPrefixTokens).toBe(480);
    expect(held(warm)).toEqual(held(cold));
    expect(warm.compressions).toEqual(cold.compressions);
    const next = [IDS[300]!];
    expect(await greedy(warm, next, 12)).toEqual(await greedy(cold, next, 12));
    expect(held(warm)).toEqual(held(cold));
    expect(warm.stats().bytesUsed).toBe(cold.stats().bytesUsed);
  });

  it('eight conversations over one 480-token document hold less than 1.5x the bytes of one', async () => {
    using pc = prefixCache();
    const sessions: Session[] = [];
    for (let i = 0; i < 8; i++) {
      const s = new Session(model, { prefixCache: pc });
      await greedy(s, [...DOC, ...question(i)], 8);
      sessions.push(s);
    }
    const shared = pc.pool.pagesInUse * pc.pool.bytesPerPage;
    using alone = new Session(model, { layout: 'paged' });
    await greedy(alone, [...DOC, ...question(0)], 8);
    const one = alone.stats().bytesReserved;
    expect(shared / one).toBeLessThan(1.5);
    expect(sessions.slice(1).every((s) => s.reusedPrefixTokens === 480)).toBe(true);
    for (const s of sessions) s[Symbol.dispose]();
    expect(pc.pool.pagesInUse).toBe(pc.blocks * model.config.nLayers * model.config.nKvHeads); // only the cached prefix is left
  });

  it('fork shares every page; a write copies only the page written', async () => {
    using pc = prefixCache();
    using a = new Session(model, { prefixCache: pc });
    const prompt = DOC.slice(0, 40); // 2 whole pages and half a page
    const head = await greedy(a, prompt, 5);
    const before = pc.pool.pagesInUse;
    using b = await a.fork();
    expect(pc.pool.pagesInUse).toBe(before); // nothing copied yet
    expect(held(b)).toEqual(held(a));
    using plain = new Session(model, { layout: 'paged' });
    await greedy(plain, prompt, 5);
    const other = IDS.slice(400, 404);
    using plainOther = new Session(model, { layout: 'paged' });
    await greedy(plainOther, prompt, 5);
    const wantOther = await greedy(plainOther, [head.at(-1)!, ...other], 6);
    expect(await greedy(b, [head.at(-1)!, ...other], 6)).toEqual(wantOther);
    // b wrote into the shared, partly filled third page of each head (one copy per layer and head) and
    // went on into a fourth page of its own; the two whole pages stay shared.
    const perBlock = model.config.nLayers * model.config.nKvHeads;
    expect(pc.pool.pagesInUse).toBe(before + 2 * perBlock);
    expect(pc.pool.refCount(b.cache.layer(0).pageOf(0, 0))).toBeGreaterThanOrEqual(2);
    expect(b.cache.layer(0).pageOf(0, 0)).toBe(a.cache.layer(0).pageOf(0, 0));
    expect(b.cache.layer(0).pageOf(0, 2)).not.toBe(a.cache.layer(0).pageOf(0, 2));
    expect(await greedy(a, [head.at(-1)!], 6)).toEqual(await greedy(plain, [head.at(-1)!], 6));
  });

  it('stays within maxBytes by evicting unreferenced prefixes, and evicts when the pool runs out', async () => {
    const c = model.config;
    const pagesPerBlock = c.nLayers * c.nKvHeads;
    using small = prefixCache({ maxBytes: 10 * pagesPerBlock * 2 * 16 * 8 * 4 }); // 10 blocks of f32 pages
    for (let i = 0; i < 3; i++) {
      using s = new Session(model, { prefixCache: small });
      await s.append([1, ...IDS.slice(100 * i, 100 * i + 99)]);
    }
    expect(small.bytes).toBeLessThanOrEqual(small.maxBytes);
    // A pool of 40 pages per (layer, head): each 480-token prompt needs 31; the second evicts the first's prefix.
    using tight = prefixCache({ pages: 40 * pagesPerBlock });
    for (const start of [0, 1]) {
      using s = new Session(model, { prefixCache: tight });
      await s.append([1, ...IDS.slice(start, start + 479)]);
    }
    expect(tight.blocks).toBeLessThanOrEqual(40);
  });

  it('rejects what it cannot share', () => {
    using pc = prefixCache();
    expect(() => new Session(model, { prefixCache: pc, policy: { policy: { kind: 'h2o' }, budget: { budget: 32 } } })).toThrow(/h2o scores every prompt query/);
    expect(() => new Session(model, { prefixCache: pc, kvDtype: 'f16' })).toThrow(/stores f32, not f16/);
    expect(() => new PrefixCache(cpu, { nLayers: 5, nKvHeads: 4, headDim: 8, pages: 10, maxBytes: 1, kvDtype: 'kivi4' })).toThrow(/row formats/);
  });

  it('property: random create/append/fork/snapshot/restore/evict/free never leak or double-free a page', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), doc: fc.integer({ min: 0, max: 2 }), len: fc.integer({ min: 2, max: 60 }), compress: fc.boolean() }),
      fc.record({ kind: fc.constant('append' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ kind: fc.constant('fork' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('snapshot' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('evict' as const), all: fc.boolean() }),
      fc.record({ kind: fc.constant('free' as const), at: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        const pc = prefixCache({ pages: 300, maxBytes: 60 * 20 * 2 * 16 * 8 * 4 });
        const start = pc.pool.freePages;
        const live: Session[] = [];
        const others: Session[] = []; // restored sessions, on their own pools
        const pick = (at: number) => live[at % live.length];
        try {
          for (const o of ops) {
            if (o.kind === 'create') {
              // SnapKV compacts its own copy of adopted pages: copy-on-write under eviction.
              const policy = o.compress ? { policy: { policy: { kind: 'snapkv' as const, window: 8 }, budget: { budget: 24 } } } : {};
              const s = new Session(model, { prefixCache: pc, maxTokens: 200, ...policy });
              await s.append([1, ...IDS.slice(50 * o.doc, 50 * o.doc + o.len - 1)]);
              live.push(s);
            } else if (o.kind === 'append' && live.length) {
              const s = pick(o.at)!;
              if (s.position + o.len <= s.maxTokens) await s.append(IDS.slice(300, 300 + o.len));
            } else if (o.kind === 'fork' && live.length) live.push(await pick(o.at)!.fork());
            else if (o.kind === 'snapshot' && live.length) others.push(Session.restore(model, await pick(o.at)!.snapshot()));
            else if (o.kind === 'evict') pc.evict(o.all);
            else if (o.kind === 'free' && live.length) live.splice(o.at % live.length, 1)[0]![Symbol.dispose]();
            // Every reference is a page table entry of a live session or a cached block.
            const tables = live.reduce((a, s) => a + s.cache.sourceLayers.reduce((b, l) => b + s.cache.layer(l).pagesInUse, 0), 0);
            expect(refCounts(pc)).toBe(tables + pc.blocks * model.config.nLayers * model.config.nKvHeads);
          }
        } finally {
          for (const s of [...live, ...others]) s[Symbol.dispose]();
        }
        pc.evict(true);
        expect(refCounts(pc)).toBe(0);
        expect(pc.pool.freePages).toBe(start);
        pc.dispose();
      }),
      { numRuns: 40, seed: 16 },
    );
  });
});
