import { describe, expect, it } from 'vitest';
import { randomF32, randomF64, Rng } from '../src/index.js';

describe('Rng', () => {
  it('is deterministic per seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(xs);
  });

  it('draws uniform floats in [0, 1) and normals with the right moments', () => {
    const rng = new Rng(1);
    const u = Array.from({ length: 20000 }, () => rng.float());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.reduce((a, b) => a + b) / u.length).toBeCloseTo(0.5, 2);
    const z = randomF64(rng, 20000, { offset: 3, scale: 2 });
    const mean = z.reduce((a, b) => a + b) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
  });

  it('makes uniform arrays within offset ± scale and ints within range; shuffles are permutations', () => {
    const rng = new Rng(2);
    const x = randomF32(rng, 1000, { dist: 'uniform', offset: 1, scale: 0.1 });
    expect(x.every((v) => v >= 0.9 && v <= 1.1)).toBe(true);
    expect(Array.from({ length: 1000 }, () => rng.int(7)).every((i) => Number.isInteger(i) && i >= 0 && i < 7)).toBe(true);
    expect(rng.shuffle([...Array(10).keys()]).sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
  });
});
