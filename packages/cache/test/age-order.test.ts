// oldestSlots (the per-step eviction order of window and StreamingLLM) against a full sort.
import { describe, expect, it } from 'vitest';
import { oldestSlots, slotsExcept } from '../src/policies/age-order.js';

function reference(positions: Int32Array, k: number, lowerOlder: boolean): number[] {
  const all = Array.from({ length: positions.length }, (_, i) => i);
  all.sort((a, b) => positions[a]! - positions[b]! || (lowerOlder ? a - b : b - a));
  return all.slice(0, Math.max(0, Math.min(k, positions.length)));
}

describe('oldestSlots', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  // Distinct positions in ring order (as a compacted cache holds them), and heavy ties, and negatives.
  const cases: [string, (len: number) => Int32Array][] = [
    ['ring order', (len) => Int32Array.from({ length: len }, (_, i) => ((i * 7 + 3) % len) + 100)],
    ['ties', (len) => Int32Array.from({ length: len }, () => rand(5))],
    ['random with negatives', (len) => Int32Array.from({ length: len }, () => rand(2000) - 1000)],
  ];
  for (const [name, make] of cases) {
    for (const len of [0, 1, 5, 70, 300]) {
      it(`${name}, ${len} slots`, () => {
        const positions = make(len);
        for (const k of [0, 1, 3, 5, 64, 65, 200, len, len + 4]) {
          for (const ties of ['lowerOlder', 'higherOlder'] as const) {
            expect(Array.from(oldestSlots(positions, k, ties)), `k ${k} ${ties}`).toEqual(reference(positions, k, ties === 'lowerOlder'));
          }
        }
      });
    }
  }

  it('slotsExcept: the ascending complement', () => {
    expect(slotsExcept(6, [4, 1])).toEqual([0, 2, 3, 5]);
    expect(slotsExcept(3, [])).toEqual([0, 1, 2]);
  });
});
