import { describe, expect, it } from 'vitest';
import { adakvHeadBudgets, resolvePolicy, selectPrefill } from '../src/policies/index.js';
import { attentionSums, isClear, Prng, randomHeads, refAdaKV, toStats, type Boundaries } from './policy-reference.js';

describe('Ada-KV against a float64 reference from raw q/k', () => {
  it('matches exactly from float64 statistics, and on clear float32 cases', () => {
    let agree = 0;
    const cases = 100;
    for (let seed = 200; seed < 200 + cases; seed++) {
      const rng = new Prng(seed);
      const [H, Hkv] = rng.pick([[4, 4], [8, 4], [4, 2], [6, 3]] as const);
      const n = rng.int(30, 80);
      const w = rng.pick([2, 4, 8]);
      const kernel = rng.pick([1, 3, 7]);
      const pooling = rng.pick(['max', 'max', 'avg'] as const);
      const alpha = rng.pick([0, 0.2, 0.5, 1]);
      const B = rng.int(w, n + 2);
      const m = randomHeads(rng, H, Hkv, n, 8, 3);
      const bs: Boundaries = [];
      const ref = refAdaKV(m, { w, kernel, pooling, alpha }, B, bs);
      const policy = resolvePolicy({ kind: 'adakv', window: w, kernel, pooling, alpha });
      const ws = attentionSums(m, n - w);
      const exact = selectPrefill(policy, [toStats(m, ws)], { tokens: B });
      expect(exact.kept[0], `seed ${seed}`).toEqual(ref);
      if (n > B) {
        // ragged per head, total about Hkv * (B - w) scored tokens
        const scored = exact.report[0]!.heads.reduce((a, h) => a + h.after - w, 0);
        expect(scored).toBeLessThanOrEqual(Hkv * (B - w) + Hkv / 2);
        expect(scored).toBeGreaterThanOrEqual(Hkv * (B - w) - 1.5 * Hkv);
      }
      const f32 = selectPrefill(policy, [toStats(m, ws, undefined, true)], { tokens: B });
      if (JSON.stringify(f32.kept[0]) === JSON.stringify(ref)) agree++;
      if (isClear(bs)) expect(f32.kept[0], `seed ${seed} (float32)`).toEqual(ref);
    }
    expect(agree / cases).toBeGreaterThanOrEqual(0.99);
  });

  it('gives heads different budgets (the saving is real, not masked)', () => {
    const rng = new Prng(11);
    const n = 64;
    const m = randomHeads(rng, 4, 4, n, 8, 4);
    const sel = selectPrefill(resolvePolicy({ kind: 'adakv', window: 4 }), [toStats(m, attentionSums(m, n - 4))], { tokens: 20 });
    const after = sel.report[0]!.heads.map((h) => h.after);
    expect(new Set(after).size).toBeGreaterThan(1);
    sel.kept[0]!.forEach((k, h) => expect(k).toHaveLength(after[h]!));
  });

  it('head budgets: round(c (1 - alpha) + int(base alpha)), half to even', () => {
    // base 96, alpha 0.2: floor 19; counts summing to 4 * 96
    expect(adakvHeadBudgets([96, 96, 96, 96], 96, 0.2, 500)).toEqual([96, 96, 96, 96]);
    expect(adakvHeadBudgets([0, 384, 0, 0], 96, 0.2, 500)).toEqual([19, 326, 19, 19]);
    // alpha 0.5: c * 0.5 + 2 with c odd lands on .5: 3.5 -> 4, 4.5 -> 4
    expect(adakvHeadBudgets([3, 5], 4, 0.5, 100)).toEqual([4, 4]);
    expect(resolvePolicy({ kind: 'adakv' })).toMatchObject({ window: 32, kernel: 7, pooling: 'max', alpha: 0.2 });
  });
});
