import { describe, expect, it } from 'vitest';
import { pyramidBudgets, resolvePolicy, selectPrefill } from '../src/policies/index.js';
import { attentionSums, isClear, Prng, randomHeads, refPyramidKV, toStats, type Boundaries } from './policy-reference.js';

describe('PyramidKV budgets (worked by hand from spec §7)', () => {
  it('L = 32, B = 128, w = 32, n = 1000: min 4, max 188, step 5', () => {
    // base 96; min = 96 // 20 = 4; max = 192 - 4 = 188 < n - w = 968; step = 184 // 31 = 5
    const keep = pyramidBudgets(32, 128, 32, 20, 1000)!;
    expect(keep[0]).toBe(188);
    expect(keep[1]).toBe(183);
    expect(keep[31]).toBe(188 - 31 * 5);
    expect(keep[31]).toBe(33);
    expect(keep.every((k, l) => k === 188 - 5 * l)).toBe(true);
    // The floor of the step leaves the mean above B - w (110.5 vs 96), as in the reference.
    expect(keep.reduce((a, b) => a + b, 0) / 32).toBe(110.5);
  });
  it('clamps max to n - w: n = 200 gives max 168, min 24, step 4', () => {
    // 188 >= 168 -> max = 168, min = 192 - 168 = 24, step = 144 // 31 = 4
    const keep = pyramidBudgets(32, 128, 32, 20, 200)!;
    expect(keep[0]).toBe(168);
    expect(keep[31]).toBe(168 - 31 * 4);
  });
  it('n < 2 (B - w) is plain SnapKV with B in every layer; n <= B is no compression', () => {
    expect(pyramidBudgets(32, 128, 32, 20, 150)).toEqual(new Array(32).fill(96));
    expect(pyramidBudgets(32, 128, 32, 20, 128)).toBeNull();
    expect(pyramidBudgets(1, 128, 32, 20, 1000)).toEqual([188]); // one layer: step 0
  });
});

describe('PyramidKV against a float64 reference from raw q/k', () => {
  it('matches exactly from float64 statistics, and on clear float32 cases', () => {
    let agree = 0;
    const cases = 40;
    for (let seed = 100; seed < 100 + cases; seed++) {
      const rng = new Prng(seed);
      const L = rng.int(2, 6);
      const [H, Hkv] = rng.pick([[4, 2], [2, 2], [4, 1]] as const);
      const n = rng.int(40, 80);
      const w = rng.pick([4, 8]);
      const kernel = rng.pick([3, 5]);
      const pooling = rng.pick(['avg', 'max'] as const);
      const beta = rng.pick([2, 5, 20]);
      const B = rng.int(w, Math.min(n, 3 * w + 20));
      const layers = Array.from({ length: L }, () => randomHeads(rng, H, Hkv, n, 8));
      const bs: Boundaries = [];
      const ref = refPyramidKV(layers, { w, kernel, pooling, beta }, B, bs);
      const policy = resolvePolicy({ kind: 'pyramidkv', window: w, kernel, pooling, beta });
      const wsums = layers.map((m) => attentionSums(m, n - w));
      const exact = selectPrefill(policy, layers.map((m, l) => toStats(m, wsums[l]!)), { tokens: B });
      expect(exact.kept, `seed ${seed}`).toEqual(ref);
      const f32 = selectPrefill(policy, layers.map((m, l) => toStats(m, wsums[l]!, undefined, true)), { tokens: B });
      if (JSON.stringify(f32.kept) === JSON.stringify(ref)) agree++;
      if (isClear(bs)) expect(f32.kept, `seed ${seed} (float32)`).toEqual(ref);
    }
    expect(agree / cases).toBeGreaterThanOrEqual(0.99);
  });

  it('shrinks the kept count with depth and reports each layer budget', () => {
    const rng = new Prng(3);
    const n = 120;
    const layers = Array.from({ length: 4 }, () => randomHeads(rng, 2, 1, n, 4));
    const policy = resolvePolicy({ kind: 'pyramidkv', window: 8, kernel: 3 });
    const sel = selectPrefill(policy, layers.map((m) => toStats(m, attentionSums(m, n - 8))), { tokens: 40 });
    // base 32: min = 1, max = 63 < 112, step = 62 // 3 = 20 -> 63, 43, 23, 3 (+ 8)
    expect(sel.report.map((r) => r.budget)).toEqual([71, 51, 31, 11]);
    expect(sel.kept.map((l) => l[0]!.length)).toEqual([71, 51, 31, 11]);
  });
});
