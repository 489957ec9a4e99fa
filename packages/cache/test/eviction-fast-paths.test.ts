// The per-step eviction fast paths against the full sorts they replace: H2O's choice of slots
// (heavy hitters among the older slots, the newest kept), TOVA's, worstRanked against rankDescending, and
// allByAge against a comparator sort, on random scores with ties, NaN and infinities.
import { describe, expect, it } from 'vitest';
import { allByAge } from '../src/policies/age-order.js';
import { h2oEvict } from '../src/policies/h2o.js';
import { tovaEvict } from '../src/policies/tova.js';
import { rankDescending, worstRanked } from '../src/policies/select.js';

let seed = 987654321;
function rand(n: number): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
}

function randomScores(len: number): Float64Array {
  const specials = [NaN, Infinity, -Infinity, 0, 0.5];
  return Float64Array.from({ length: len }, () => (rand(6) === 0 ? specials[rand(specials.length)]! : rand(8) / 8));
}

/** H2O's eviction as first written: full sorts by age and by score. */
function h2oReference(scores: ArrayLike<number>, positions: Int32Array, heavy: number, recent: number, incoming: number): number[] {
  const len = positions.length;
  if (len + incoming <= heavy + recent) return Array.from({ length: len }, (_, i) => i);
  const keepRecent = Math.max(0, recent - incoming);
  const keepHeavy = heavy - Math.max(0, incoming - recent);
  const byAge = Array.from({ length: len }, (_, i) => i).sort((a, b) => positions[b]! - positions[a]! || a - b);
  const recentSlots = byAge.slice(0, keepRecent);
  const older = byAge.slice(keepRecent).sort((a, b) => positions[a]! - positions[b]!);
  const order = rankDescending(older.map((s) => scores[s]!));
  const heavySlots = Array.from(order.subarray(0, keepHeavy), (i) => older[i]!);
  return [...recentSlots, ...heavySlots].sort((a, b) => a - b);
}

describe('eviction fast paths', () => {
  it('h2oEvict keeps the same slots as the full sorts (ties, NaN, infinities, repeated positions)', () => {
    for (let trial = 0; trial < 300; trial++) {
      const heavy = rand(40);
      const recent = rand(40);
      const incoming = rand(Math.max(1, Math.min(4, heavy + recent + 1)));
      const len = Math.max(0, heavy + recent - incoming + 1 + rand(80));
      const repeated = trial % 3 === 0;
      const positions = Int32Array.from({ length: len }, (_, i) => (repeated ? rand(len + 1) : (i * 37 + 11) % (len + 5)));
      const scores = randomScores(len);
      expect(h2oEvict(scores, positions, heavy, recent, incoming), `trial ${trial}`).toEqual(h2oReference(scores, positions, heavy, recent, incoming));
    }
  });

  it('tovaEvict keeps the same slots as the full sorts', () => {
    const reference = (mean: ArrayLike<number>, capacity: number, incoming: number, positions?: Int32Array): number[] => {
      const len = mean.length;
      if (len + incoming <= capacity) return Array.from({ length: len }, (_, i) => i);
      const slots = Array.from({ length: len }, (_, i) => i);
      if (positions) slots.sort((a, b) => positions[a]! - positions[b]! || a - b);
      const order = rankDescending(slots.map((s) => mean[s]!));
      return Array.from(order.subarray(0, capacity - incoming), (i) => slots[i]!).sort((a, b) => a - b);
    };
    for (let trial = 0; trial < 200; trial++) {
      const capacity = 1 + rand(60);
      const incoming = rand(Math.min(3, capacity) + 1);
      const len = Math.max(0, capacity - incoming + rand(90));
      const positions = trial % 2 ? Int32Array.from({ length: len }, () => rand(len + 1)) : undefined;
      const mean = randomScores(len);
      expect(tovaEvict(mean, capacity, incoming, positions), `trial ${trial}`).toEqual(reference(mean, capacity, incoming, positions));
    }
  });

  it('worstRanked is the reversed tail of rankDescending', () => {
    for (const len of [0, 1, 7, 100, 300]) {
      const scores = randomScores(len);
      const order = Array.from(rankDescending(scores));
      for (const k of [0, 1, 2, 5, 64, 65, len]) {
        const expected = order.slice(Math.max(0, len - k)).reverse();
        expect(Array.from(worstRanked(scores, k)), `len ${len} k ${k}`).toEqual(expected);
      }
    }
  });

  it('allByAge sorts slots by position, ties to the lower slot', () => {
    const positions = Int32Array.from({ length: 200 }, () => rand(30) - 10);
    const expected = Array.from({ length: 200 }, (_, i) => i).sort((a, b) => positions[a]! - positions[b]! || a - b);
    expect(Array.from(allByAge(positions))).toEqual(expected);
  });
});
