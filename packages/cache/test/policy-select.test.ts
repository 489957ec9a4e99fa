import { describe, expect, it } from 'vitest';
import { gqaReduce, kthSmallest, pool1d, rankDescending, topCountsPerGroup, topK } from '../src/policies/index.js';
import { Prng } from './policy-reference.js';

describe('topK', () => {
  it('takes higher scores first, ties to the lower position, and returns ascending positions', () => {
    expect(topK([0.1, 0.5, 0.5, 0.9, 0.5], 3)).toEqual([1, 2, 3]);
    expect(topK([0.1, 0.5, 0.5, 0.9, 0.5], 2)).toEqual([1, 3]);
    expect(Array.from(rankDescending([2, 3, 3, 1]))).toEqual([1, 2, 0, 3]);
  });
  it('ranks NaN last and clamps k to the length', () => {
    expect(topK([NaN, 1, -Infinity, 0], 2)).toEqual([1, 3]);
    expect(topK([1, 2], 5)).toEqual([0, 1]);
    expect(topK([1, 2], 0)).toEqual([]);
  });
  it('works on a row of a flat array', () => {
    expect(topK([9, 9, 9, 1, 5, 3], 2, 3, 3)).toEqual([1, 2]);
  });
  it('counts the global top per group with ties to the lower group', () => {
    expect(topCountsPerGroup([[5, 1, 3], [4, 3, 0]], 3)).toEqual([2, 1]);
    expect(topCountsPerGroup([[1, 3], [3, 3]], 2)).toEqual([1, 1]);
    expect(topCountsPerGroup([[1, 1], [1, 1]], 3)).toEqual([2, 1]);
  });
  it('selects like a full sort on random data with many ties (quickselect)', () => {
    const rng = new Prng(42);
    for (let t = 0; t < 200; t++) {
      const groups = Array.from({ length: rng.int(1, 4) }, () =>
        Array.from({ length: rng.int(0, 30) }, () => (rng.next() < 0.1 ? -Infinity : rng.int(0, 6))),
      );
      const all = groups.flatMap((g, gi) => g.map((v, j) => ({ v, gi, j })));
      if (all.length === 0) continue;
      const total = rng.int(0, all.length);
      all.sort((a, b) => (a.v !== b.v ? b.v - a.v : a.gi - b.gi || a.j - b.j));
      const want = groups.map((_, gi) => all.slice(0, total).filter((e) => e.gi === gi).length);
      expect(topCountsPerGroup(groups, total)).toEqual(want);
      const flat = Float64Array.from(all.map((e) => e.v));
      const k = rng.int(0, flat.length - 1);
      const sorted = Float64Array.from(flat).sort();
      expect(kthSmallest(flat, k)).toBe(sorted[k]);
    }
  });
});

describe('gqaReduce', () => {
  // H = 4, Hkv = 2, n = 3: KV head 0 <- query heads 0, 1; KV head 1 <- 2, 3
  const s = [1, 2, 3, 3, 2, 1, 0, 0, 6, 4, 4, 0];
  it('means and maxes over each group of query heads', () => {
    expect(Array.from(gqaReduce(s, 4, 2, 3, 'mean'))).toEqual([2, 2, 2, 2, 2, 3]);
    expect(Array.from(gqaReduce(s, 4, 2, 3, 'max'))).toEqual([3, 2, 3, 4, 4, 6]);
    expect(Array.from(gqaReduce(s, 4, 2, 3, 'mean', 2))).toEqual([2, 2, 2, 2]);
    expect(Array.from(gqaReduce(s, 4, 4, 3))).toEqual(s); // MHA: identity
    expect(Array.from(gqaReduce(s, 4, 1, 3, 'max'))).toEqual([4, 4, 6]); // MQA
  });
  it('rejects shapes that do not fit', () => {
    expect(() => gqaReduce(s, 4, 3, 3)).toThrow(/multiple/);
    expect(() => gqaReduce(s, 4, 2, 4)).toThrow(/expected/);
  });
});

describe('pool1d (PyTorch semantics, values worked by hand)', () => {
  it('avg_pool1d(k, stride 1, padding k//2) counts the zero padding', () => {
    // torch.nn.functional.avg_pool1d(torch.tensor([[1., 2, 3, 4, 5]]), 3, 1, 1) == [1, 2, 3, 4, 3]
    expect(Array.from(pool1d([1, 2, 3, 4, 5], 3, 'avg'))).toEqual([1, 2, 3, 4, 3]);
    // k = 5, padding 2: [(0+0+1+2+3)/5, (0+1+2+3+4)/5, 3, (2+3+4+5+0)/5, (3+4+5+0+0)/5]
    const k5 = Array.from(pool1d([1, 2, 3, 4, 5], 5, 'avg'));
    [1.2, 2, 3, 2.8, 2.4].forEach((v, i) => expect(k5[i]).toBeCloseTo(v, 14));
    expect(Array.from(pool1d([4, 8], 7, 'avg'))).toEqual([12 / 7, 12 / 7]);
  });
  it('max_pool1d ignores the padding (-inf), so negative scores stay negative', () => {
    expect(Array.from(pool1d([3, 1, 2, 5, 4], 3, 'max'))).toEqual([3, 3, 5, 5, 5]);
    expect(Array.from(pool1d([-1, -2, -3], 3, 'max'))).toEqual([-1, -1, -2]);
  });
  it('pools each row separately and k = 1 is the identity', () => {
    expect(Array.from(pool1d([1, 2, 3, 10, 20, 30], 3, 'max', 3))).toEqual([2, 3, 3, 20, 30, 30]);
    expect(Array.from(pool1d([1, 2, 3], 1, 'avg'))).toEqual([1, 2, 3]);
  });
  it('rejects even kernels (PyTorch would return n + 1 values)', () => {
    expect(() => pool1d([1, 2, 3], 4, 'avg')).toThrow(/odd/);
  });
});
