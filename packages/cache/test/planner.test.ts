// The byte planner against hand-computed cache sizes: stories260K's shape (5 layers, 4 KV heads of 8
// dims, 8 query heads) and the project's GQA model (8 layers, 2 KV heads of 32 dims, 4 query heads).
import { describe, expect, it } from 'vitest';
import { chooseCacheForBytes, peakCacheBytes, planCache, planLayout, recommendCache, resolveBudget, resolvePolicy, sharingSchemes } from '../src/index.js';
import { kvSourceIdentity, kvSourceMlkv } from '../src/sharing/index.js';

const stories = { nLayers: 5, nHeads: 8, nKvHeads: 4, headDim: 8, kvSource: kvSourceIdentity(5), contextLength: 512 };
const gqa = { nLayers: 8, nHeads: 4, nKvHeads: 2, headDim: 32, kvSource: kvSourceIdentity(8), contextLength: 2048 };
/** Per token, K and V of every layer and KV head: f32 4 bytes, f16 2, int8 1 plus an f16 scale per head (d < 32). */
const per = { f32: 2 * 5 * 4 * 8 * 4, f16: 2 * 5 * 4 * 8 * 2, int8: 2 * 5 * 4 * (8 + 2) };

describe('planCache', () => {
  const plan = planCache(stories, { context: 512, maxBytes: 100_000 });
  const row = (sharing: string, dtype: string) => plan.rows.find((r) => r.sharing === sharing && r.kvDtype === dtype)!;

  it('gives exact bytes per token and at the context for each sharing and format', () => {
    expect(row('as trained', 'f32').bytesPerToken).toBe(per.f32);
    expect(row('as trained', 'f32').bytesAtContext).toBe(512 * per.f32);
    expect(row('as trained', 'f16').bytesPerToken).toBe(per.f16);
    expect(row('as trained', 'int8').bytesPerToken).toBe(per.int8);
    // Training-free sharing on 5 layers: layers 1 and 3 reuse 0 and 2, so 3 layers own K/V.
    expect(row('training-free', 'f32').bytesPerToken).toBe((per.f32 * 3) / 5);
    expect(row('MQA', 'f32').bytesPerToken).toBe(2 * 5 * 1 * 8 * 4);
    expect(row('MQA', 'f32').retrain).toBe(true);
    expect(row('as trained', 'f32').retrain).toBe(false);
    // MHA stores more than this GQA checkpoint: never worth retraining for, so not listed.
    expect(plan.rows.some((r) => r.sharing === 'MHA')).toBe(false);
  });

  it('keeps the most tokens that fit the budget, at most the context', () => {
    expect(row('as trained', 'f32').tokensWithinBudget).toBe(Math.floor(100_000 / per.f32));
    expect(row('as trained', 'f32').fitsContext).toBe(false);
    expect(row('MQA', 'f32').tokensWithinBudget).toBe(Math.floor(100_000 / (2 * 5 * 8 * 4)));
    expect(row('MQA', 'f16').tokensWithinBudget).toBe(512);
    expect(row('MQA', 'f16').fitsContext).toBe(true);
  });

  it('counts KIVI at its peak: the newest keys stay f16 until a block of 128 is quantised', () => {
    // Per layer and KV head (d = 8, G = 32, R = 128): a quantised key costs 8 x (2 x 32 / 8 + 4) / 32 = 3
    // bytes, a quantised value one group of 8: 2 x 8 / 8 + 4 = 6 bytes, an f16 token 16 bytes. At t in
    // [128, 256): keys 128 x 3 + (t - 128) x 16, values 128 x 16 + (t - 128) x 6 = 2432 + 22 (t - 128).
    // The budget is 100000 / 20 = 5000 per head: t = 244 (4984 bytes); t = 256 costs only 3584, but the
    // cache passes 5000 on its way there.
    expect(row('as trained', 'kivi2').tokensWithinBudget).toBe(244);
    expect(row('as trained', 'kivi2').fitsContext).toBe(false);
    expect(peakCacheBytes(planLayout(stories, 8, 'kivi2'), 256)).toBe(20 * (2432 + 22 * 127));
    expect(peakCacheBytes(planLayout(stories, 8, 'kivi2'), 100)).toBe(20 * 32 * 100);
  });

  it('lists one storage format with kvDtype and plans without a budget', () => {
    const only = planCache(stories, { context: 64, kvDtype: 'f16' });
    expect(new Set(only.rows.map((r) => r.kvDtype))).toEqual(new Set(['f16']));
    expect(only.recommendation).toBeUndefined();
    expect(only.rows[0]!.tokensWithinBudget).toBeUndefined();
  });

  it('rejects a context or budget that is not a count', () => {
    expect(() => planCache(stories, { context: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/context/) }));
    expect(() => planCache(stories, { context: 10, maxBytes: -5 })).toThrow(/maxBytes must be a number >= 0/);
  });
});

describe('recommendCache', () => {
  it('keeps the full cache at the most exact format that fits', () => {
    expect(recommendCache(stories, 512, 512 * per.f32)).toMatchObject({ kind: 'full-cache', kvDtype: 'f32', tokens: 512, bytes: 512 * per.f32 });
    expect(recommendCache(stories, 512, 512 * per.f32 - 1)).toMatchObject({ kind: 'full-cache', kvDtype: 'f16' });
    expect(recommendCache(stories, 512, 512 * per.int8)).toMatchObject({ kind: 'full-cache', kvDtype: 'int8' });
  });

  it('evicts in int8 to the tokens that fit, DynamicKV peaking at them, StreamingLLM for chat', () => {
    const maxBytes = 100 * per.int8 + 7;
    const r = recommendCache(stories, 4096, maxBytes);
    if (r.kind !== 'evict') throw new Error(`expected eviction, got ${r.kind}`);
    expect(r.kvDtype).toBe('int8');
    expect(r.tokens).toBe(100);
    expect(r.bytes).toBe(100 * per.int8);
    const budget = (r.policy.budget as { budget: number }).budget;
    // The cache holds the budget after a recompression plus the tokens decoded until the next one.
    expect(budget + r.policy.recompressInterval!).toBe(100);
    expect(resolveBudget(r.policy.budget, { n: 4096, policy: r.policy.policy }).tokens).toBe(budget);
    expect(resolvePolicy(r.policy.policy).kind).toBe('dynamickv');
    expect(r.chatPolicy).toEqual({ policy: { kind: 'streaming' }, budget: { budget: 100 } });
  });

  it('says how many bytes the smallest useful cache needs when nothing fits', () => {
    const r = recommendCache(stories, 512, 10 * per.int8);
    expect(r).toEqual({ kind: 'too-small', kvDtype: 'int8', minBytes: 16 * per.int8 });
  });
});

describe('chooseCacheForBytes', () => {
  it('returns what a session needs: format, policy and the tokens it holds', () => {
    // The GQA model at its 2048-token context: f32 needs 2048 x 4096 bytes.
    const f32 = 2 * 8 * 2 * 32 * 4;
    expect(chooseCacheForBytes(gqa, { maxBytes: 2048 * f32 })).toEqual({ kvDtype: 'f32', budget: 2048, bytes: 2048 * f32 });
    const kivi = chooseCacheForBytes(gqa, { maxBytes: 2048 * f32 * 0.2 });
    expect(kivi).toMatchObject({ kvDtype: 'kivi4', kivi: { group: 32, residual: 128 }, budget: 2048 });
    expect(kivi.policy).toBeUndefined();
    const small = chooseCacheForBytes(gqa, { maxBytes: 1_000_000, context: 2048 });
    expect(small.kvDtype).toBe('int8');
    expect(small.policy?.policy.kind).toBe('dynamickv');
    // int8 with d = 32: one block of 32 bytes + a 2-byte scale per head and part.
    expect(small.budget).toBe(Math.floor(1_000_000 / (2 * 8 * 2 * 34)));
  });

  it('throws BUDGET_TOO_SMALL naming the bytes to give', () => {
    expect(() => chooseCacheForBytes(gqa, { maxBytes: 1000 })).toThrow(expect.objectContaining({ code: 'BUDGET_TOO_SMALL', message: expect.stringMatching(/raise maxBytes to at least 17408/) }));
    expect(() => chooseCacheForBytes({ ...gqa, contextLength: undefined }, { maxBytes: 1000 })).toThrow(/needs a context/);
  });
});

describe('sharingSchemes', () => {
  const opt = { nLayers: 96, nHeads: 96, nKvHeads: 96 };
  it("maps MLKV to ceil(L/4) KV layers of one head, the MLKV paper's OPT-175B setting", () => {
    const byName = Object.fromEntries(sharingSchemes(opt).map((s) => [s.name, s]));
    expect(byName.MLKV!.kvSource).toEqual(kvSourceMlkv(96, 24));
    expect(byName.MLKV!.nKvHeads).toBe(1);
    expect(byName.GQA!.nKvHeads).toBe(12); // an MHA model: H/8
    expect(byName.MHA!.nKvHeads).toBe(96);
  });

  it('has YOCO only for an even layer count, with windows on the first half', () => {
    const llama3 = sharingSchemes({ nLayers: 32, nHeads: 32, nKvHeads: 8 }, { yocoWindow: 512 }).find((s) => s.name === 'YOCO')!;
    expect(llama3.slidingWindow!.filter((w) => w === 512)).toHaveLength(16);
    expect(new Set(llama3.kvSource.slice(16))).toEqual(new Set([16]));
    expect(sharingSchemes({ nLayers: 5, nHeads: 8, nKvHeads: 4 }).map((s) => s.name)).not.toContain('YOCO');
  });
});
