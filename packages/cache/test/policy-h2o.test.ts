import { describe, expect, it } from 'vitest';
import { BudgetTooSmallError } from '../src/errors.js';
import { h2oAccumulate, h2oEvict, h2oSplit, resolvePolicy, selectPrefill } from '../src/policies/index.js';
import { attentionSums, isClear, Prng, randomHeads, refH2O, toStats, type Boundaries } from './policy-reference.js';

describe('H2O prefill against a float64 reference from raw q/k', () => {
  it('matches exactly from float64 column sums, and on clear float32 cases (plain and normalised)', () => {
    let agree = 0;
    const cases = 60;
    for (let seed = 400; seed < 400 + cases; seed++) {
      const rng = new Prng(seed);
      const [H, Hkv] = rng.pick([[4, 4], [4, 2], [4, 1]] as const);
      const n = rng.int(30, 70);
      const normalize = rng.next() < 0.5;
      const B = rng.int(4, n + 2);
      const recent = rng.int(1, Math.min(B, 12));
      const m = randomHeads(rng, H, Hkv, n, 8);
      const bs: Boundaries = [];
      const ref = refH2O(m, B - recent, recent, normalize, bs);
      const policy = resolvePolicy({ kind: 'h2o', recent, normalize });
      const cs = attentionSums(m, 0);
      const none: number[][] = Array.from({ length: H }, () => []);
      const exact = selectPrefill(policy, [toStats(m, none, cs)], { tokens: B });
      expect(exact.kept[0], `seed ${seed}`).toEqual(ref);
      const f32 = selectPrefill(policy, [toStats(m, none, cs, true)], { tokens: B });
      if (JSON.stringify(f32.kept[0]) === JSON.stringify(ref)) agree++;
      if (isClear(bs)) expect(f32.kept[0], `seed ${seed} (float32)`).toEqual(ref);
    }
    expect(agree / cases).toBeGreaterThanOrEqual(0.99);
  });

  it('splits a token budget into heavy hitters and recent tokens', () => {
    expect(h2oSplit({}, 100)).toEqual({ heavy: 50, recent: 50 });
    expect(h2oSplit({}, 7)).toEqual({ heavy: 4, recent: 3 });
    expect(h2oSplit({ recent: 32 }, 100)).toEqual({ heavy: 68, recent: 32 });
    expect(h2oSplit({ heavy: 10 }, 100)).toEqual({ heavy: 10, recent: 90 });
    expect(h2oSplit({ heavy: 10, recent: 32 }, 100)).toEqual({ heavy: 10, recent: 32 });
    expect(h2oSplit({ heavy: 100, recent: 32 }, 100)).toEqual({ heavy: 68, recent: 32 });
    expect(h2oSplit({})).toEqual({ heavy: 4, recent: 512 }); // the reference class defaults
    expect(() => h2oSplit({ recent: 32 }, 31)).toThrow(BudgetTooSmallError);
  });

  it('needs column sums', () => {
    const stats = { n: 4, nHeads: 1, nKvHeads: 1, windowSums: new Float32Array(4) };
    expect(() => selectPrefill(resolvePolicy({ kind: 'h2o' }), [stats], { tokens: 2 })).toThrow(/columnSums/);
  });
});

/** The H2O reference cache (H2OKVCache_LayerWise), one head, in sequence order. */
class RefH2O {
  entries: { pos: number; score: number }[] = [];
  constructor(readonly hh: number, readonly r: number) {}
  step(pos: number, row: number[]): void {
    // _update_hh_score: the new token joins with the attention it receives; every score accumulates
    this.entries.push({ pos, score: 0 });
    this.entries.forEach((e, i) => (e.score += row[i]!));
    const seqLen = this.entries.length;
    if (seqLen <= this.hh + this.r) return;
    const older = this.entries.slice(0, seqLen - this.r);
    const keep = older
      .map((e, i) => ({ e, i }))
      .sort((a, b) => b.e.score - a.e.score || a.i - b.i)
      .slice(0, this.hh)
      .map((x) => x.i);
    const keepSet = new Set([...keep, ...Array.from({ length: this.r }, (_, k) => seqLen - this.r + k)]);
    this.entries = this.entries.filter((_, i) => keepSet.has(i));
  }
}

describe('H2O decoding eviction', () => {
  it('matches the reference cache step by step with slots in any order (evicting after the step)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Prng(seed);
      const hh = rng.int(0, 6);
      const r = rng.int(1, 6);
      const ref = new RefH2O(hh, r);
      // our cache: slots in arbitrary order, scores and positions per slot
      let positions: number[] = [];
      let scores: number[] = [];
      for (let t = 0; t < 40; t++) {
        // attention of the new query over the held tokens (sequence order) plus itself
        const raw = Array.from({ length: ref.entries.length + 1 }, () => rng.next() ** 3);
        const z = raw.reduce((a, b) => a + b, 0);
        const row = raw.map((v) => v / z);
        ref.step(t, row);
        // insert the new token at a random slot
        const at = rng.int(0, positions.length);
        positions.splice(at, 0, t);
        scores.splice(at, 0, 0);
        const acc = Float64Array.from(scores);
        h2oAccumulate(
          acc,
          positions.map((p) => row[[...positions].sort((a, b) => a - b).indexOf(p)]!),
        );
        const keep = h2oEvict(acc, Int32Array.from(positions), hh, r, 0);
        positions = keep.map((s) => positions[s]!);
        scores = keep.map((s) => acc[s]!);
        expect([...positions].sort((a, b) => a - b), `seed ${seed} t ${t}`).toEqual(ref.entries.map((e) => e.pos));
      }
    }
  });

  it('makes room before appending: never above heavy + recent', () => {
    const positions = Int32Array.from([5, 0, 3, 1, 4, 2]);
    const scores = [0.1, 0.9, 0.2, 0.8, 0.3, 0.05];
    // heavy 2, recent 4, one incoming: newest 3 by position (5, 4, 3) + best 2 of older (0, 1)
    expect(h2oEvict(scores, positions, 2, 4, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(h2oEvict(scores, positions, 2, 5, 1)).toEqual([0, 1, 2, 3, 4, 5]);
    // ties among older tokens keep the lower position
    expect(h2oEvict([1, 1, 1], Int32Array.from([9, 2, 7]), 1, 1, 1)).toEqual([1]);
  });
});
