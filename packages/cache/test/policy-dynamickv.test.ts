import { describe, expect, it } from 'vitest';
import { pyFloorDiv, resolvePolicy, selectPrefill, type PrefillStats } from '../src/policies/index.js';
import { attentionSums, exactFloorDiv, isClear, Prng, randomHeads, refDynamicKV, toStats, type Boundaries, type Heads } from './policy-reference.js';

function stats(layers: Heads[], w: number, f32 = false): PrefillStats[] {
  return layers.map((m) => toStats(m, attentionSums(m, m.n - w), undefined, f32));
}

describe('DynamicKV against a float64 reference from raw q/k', () => {
  it('matches exactly from float64 statistics, and on clear float32 cases', () => {
    let agree = 0;
    const cases = 40;
    for (let seed = 300; seed < 300 + cases; seed++) {
      const rng = new Prng(seed);
      const L = rng.pick([4, 5, 6, 8]);
      const [H, Hkv] = rng.pick([[4, 2], [2, 2], [4, 1]] as const);
      const n = rng.int(40, 80);
      const w = rng.pick([4, 8]);
      const kernel = rng.pick([3, 7]);
      const pooling = rng.pick(['avg', 'max'] as const);
      const rMax = rng.pick([2, 10]);
      const mm = rng.pick([2, 4]);
      const B = rng.int(w, Math.min(n, w + 24));
      const layers = Array.from({ length: L }, () => randomHeads(rng, H, Hkv, n, 8));
      const bs: Boundaries = [];
      const ref = refDynamicKV(layers, { w, kernel, pooling, rMax, m: mm }, B, bs);
      const policy = resolvePolicy({ kind: 'dynamickv', window: w, kernel, pooling, rMax, m: mm });
      const exact = selectPrefill(policy, stats(layers, w), { tokens: B });
      expect(exact.kept, `seed ${seed}`).toEqual(ref.kept);
      const f32 = selectPrefill(policy, stats(layers, w, true), { tokens: B });
      if (JSON.stringify(f32.kept) === JSON.stringify(ref.kept)) agree++;
      if (isClear(bs)) expect(f32.kept, `seed ${seed} (float32)`).toEqual(ref.kept);
    }
    expect(agree / cases).toBeGreaterThanOrEqual(0.99);
  });

  it('budgets average B - w when the only update is after the last layer (L = 4)', () => {
    const rng = new Prng(5);
    const n = 120;
    const w = 8;
    const B = 24; // base 16; K = min(160, 112) = 112 >= every budget; n - w = 112 >= 4 * 16
    const layers = Array.from({ length: 4 }, () => randomHeads(rng, 4, 2, n, 8));
    const sel = selectPrefill(resolvePolicy({ kind: 'dynamickv' }), stats(layers, w), { tokens: B });
    const perLayer = sel.report.map((r) => r.budget - w);
    expect(perLayer.reduce((a, b) => a + b, 0)).toBe(4 * (B - w));
    expect(new Set(perLayer).size).toBeGreaterThan(1); // distributed by the attention, not uniform
    sel.report.forEach((r, l) => r.heads.forEach((h) => expect(h.after).toBe(perLayer[l]! + w)));
  });

  it('also updates after the last layer when L % 4 != 0 (kvkit deviation: stories260K has 5 layers)', () => {
    const rng = new Prng(6);
    const n = 100;
    const w = 8;
    const B = 20;
    const layers = Array.from({ length: 5 }, () => randomHeads(rng, 4, 2, n, 8));
    const sel = selectPrefill(resolvePolicy({ kind: 'dynamickv' }), stats(layers, w), { tokens: B });
    const perLayer = sel.report.map((r) => r.budget - w);
    // Without the extra update, layer 4 would keep K = min(10 * 12, 92) = 92 tokens.
    expect(perLayer[4]).toBeLessThan(92);
    expect(perLayer.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5 * (B - w));
    expect(perLayer.every((k) => k <= n - w)).toBe(true);
  });

  it('uses the reference defaults and floors like CPython', () => {
    expect(resolvePolicy({ kind: 'dynamickv' })).toEqual({
      kind: 'dynamickv',
      window: 8,
      kernel: 7,
      pooling: 'avg',
      gqa: 'mean',
      rMax: 10,
      m: 4,
      rMin: 0.1,
    });
    expect(pyFloorDiv(7, 2)).toBe(3);
    expect(pyFloorDiv(-7, 2)).toBe(-4);
    expect(pyFloorDiv(1, 0.1)).toBe(9); // Python: 1 // 0.1 == 9.0 (0.1 is slightly above 1/10)
    expect(pyFloorDiv(10, 1.25)).toBe(8);
    for (let S = 1; S <= 60; S++) {
      for (const T of [12, 30, 90]) {
        for (let b = 0; b <= S; b++) expect(pyFloorDiv(b, S / T)).toBe(exactFloorDiv(b, S / T));
      }
    }
  });
});
