import { describe, expect, it } from 'vitest';
import { gqaReduce, pool1d, rankDescending, topCountsPerGroup, topK } from '../src/policies/index.js';

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
