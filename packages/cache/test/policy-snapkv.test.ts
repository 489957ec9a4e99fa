import { describe, expect, it } from 'vitest';
import { BudgetTooSmallError } from '../src/errors.js';
import { resolvePolicy, selectPrefill } from '../src/policies/index.js';
import { attentionSums, isClear, Prng, randomHeads, refSnapKV, toStats, type Boundaries } from './policy-reference.js';

describe('SnapKV against a float64 reference from raw q/k', () => {
  it('matches exactly from float64 statistics, and on every clear case from float32 ones', () => {
    let agree = 0;
    let clear = 0;
    const cases = 120;
    for (let seed = 1; seed <= cases; seed++) {
      const rng = new Prng(seed);
      const [H, Hkv] = rng.pick([[4, 4], [4, 2], [4, 1], [6, 3]] as const);
      const n = rng.int(30, 80);
      const w = rng.pick([1, 4, 8]);
      const kernel = rng.pick([1, 3, 5, 7]);
      const pooling = rng.pick(['avg', 'max'] as const);
      const gqa = rng.pick(['mean', 'mean', 'max'] as const);
      const B = rng.int(w, n + 3);
      const m = randomHeads(rng, H, Hkv, n, 8);
      const ws = attentionSums(m, n - w);
      const bs: Boundaries = [];
      const ref = refSnapKV(m, { w, kernel, pooling, gqa }, B, bs);
      const policy = resolvePolicy({ kind: 'snapkv', window: w, kernel, pooling, gqa });
      const exact = selectPrefill(policy, [toStats(m, ws)], { tokens: B });
      expect(exact.kept[0], `seed ${seed}`).toEqual(ref);
      const rep = exact.report[0]!;
      expect(rep.noCompressionNeeded).toBe(n <= B);
      expect(rep.heads.map((h) => h.after)).toEqual(ref.map((k) => k.length));
      expect(rep.heads.every((h) => h.before === n && h.after === Math.min(n, B))).toBe(true);

      const f32 = selectPrefill(policy, [toStats(m, ws, undefined, true)], { tokens: B });
      const same = JSON.stringify(f32.kept[0]) === JSON.stringify(ref);
      if (same) agree++;
      if (isClear(bs)) {
        clear++;
        expect(f32.kept[0], `seed ${seed} (float32)`).toEqual(ref);
      }
    }
    expect(agree / cases).toBeGreaterThanOrEqual(0.99);
    expect(clear / cases).toBeGreaterThan(0.8);
  });

  it('uses the reference defaults w = 32, k = 5, avg pooling', () => {
    expect(resolvePolicy({ kind: 'snapkv' })).toEqual({ kind: 'snapkv', window: 32, kernel: 5, pooling: 'avg', gqa: 'mean' });
  });

  it('keeps the window and reports no compression when the prompt fits', () => {
    const rng = new Prng(7);
    const m = randomHeads(rng, 2, 1, 20, 4);
    const stats = toStats(m, attentionSums(m, 16));
    const policy = resolvePolicy({ kind: 'snapkv', window: 4 });
    const fits = selectPrefill(policy, [stats], { tokens: 20 });
    expect(fits.report[0]!.noCompressionNeeded).toBe(true);
    expect(fits.kept[0]![0]).toHaveLength(20);
    const tight = selectPrefill(policy, [stats], { tokens: 4 });
    expect(tight.kept[0]).toEqual([[16, 17, 18, 19]]);
    expect(() => selectPrefill(policy, [stats], { tokens: 3 })).toThrow(BudgetTooSmallError);
  });
});
