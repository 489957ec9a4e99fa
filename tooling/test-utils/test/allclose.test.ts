import { describe, expect, it } from 'vitest';
import { allclose, setup } from '../src/index.js';

setup();

describe('allclose', () => {
  it('uses |a - e| <= atol + rtol * |e| and ranks elements by error relative to their tolerance', () => {
    // 0.05 <= 0.001 + 0.1 passes; 0.004 > 0.001 + 0.002 fails, and is the worst despite a smaller error.
    const r = allclose([1, 100, 2], [1, 100.05, 2.004], { atol: 1e-3, rtol: 1e-3 });
    expect(r).toMatchObject({ pass: false, failures: 1, worstIndex: 2 });
    expect(r.maxAbsError).toBeCloseTo(0.05, 10);
  });

  it('counts failures, the worst index and the largest absolute error', () => {
    const r = allclose([0, 1, 2, 3], [0, 1.5, 2, 2], { atol: 0.1, rtol: 0 });
    expect(r).toMatchObject({ pass: false, count: 4, failures: 2, worstIndex: 3, worstActual: 3, worstExpected: 2, worstError: 1, maxAbsError: 1 });
  });

  it('treats NaN as equal to NaN only, and infinities as equal only to themselves', () => {
    expect(allclose([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity], { atol: 0, rtol: 0 }).pass).toBe(true);
    expect(allclose([NaN], [0], { atol: 1, rtol: 1 }).pass).toBe(false);
    expect(allclose([0], [NaN], { atol: 1, rtol: 1 }).pass).toBe(false);
    expect(allclose([1e30], [Infinity], { atol: 1, rtol: 1 }).pass).toBe(false);
  });

  it('fails on a length mismatch', () => {
    const r = allclose([1, 2], [1, 2, 3]);
    expect(r).toMatchObject({ pass: false, lengthMismatch: true, count: 2, failures: 0 });
  });

  it('exact comparison (atol = rtol = 0)', () => {
    expect(allclose(Float32Array.of(0.1), [Math.fround(0.1)], { atol: 0, rtol: 0 }).pass).toBe(true);
    expect(allclose(Float32Array.of(0.1), [0.1], { atol: 0, rtol: 0 }).pass).toBe(false);
  });
});

describe('toBeAllclose', () => {
  it('passes, and negates', () => {
    expect(Float32Array.of(1, 2)).toBeAllclose([1, 2 + 1e-7]);
    expect([1, 2]).not.toBeAllclose([1, 3]);
  });

  it('names the worst element, its multi-index and the counts on failure', () => {
    let message = '';
    try {
      expect([0, 0, 0, 0, 0, 5]).toBeAllclose([0, 0, 0, 0, 0, 0], { atol: 1e-3, rtol: 0, shape: [2, 3] });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('1 of 6 elements outside tolerance');
    expect(message).toContain('worst at index 5 [1, 2]');
    expect(message).toContain('actual 5.000000, expected 0.000000');
  });
});
