import { describe, expect, it } from 'vitest';
import { BudgetTooSmallError } from '../src/errors.js';
import {
  bytesFreed,
  meanOverHeads,
  recompressDue,
  resolvePolicy,
  selectPrefill,
  streamingEvict,
  tovaEvict,
  windowEvict,
  type PrefillStats,
} from '../src/policies/index.js';
import { attentionRow, Prng, randomHeads } from './policy-reference.js';

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

function blank(n: number, nHeads = 2, nKvHeads = 2): PrefillStats {
  return { n, nHeads, nKvHeads, windowSums: new Float32Array(0) };
}

describe('full, window and StreamingLLM prefill', () => {
  it('full keeps everything and says so', () => {
    const sel = selectPrefill({ kind: 'full' }, [blank(10), blank(10)], { tokens: 3 });
    expect(sel.kept[1]![0]).toEqual(range(0, 10));
    expect(sel.report[0]).toMatchObject({ noCompressionNeeded: true, budget: 10 });
  });
  it('window keeps the last min(B, window) tokens', () => {
    const sel = selectPrefill({ kind: 'window', window: 4 }, [blank(10)], { tokens: 6 });
    expect(sel.kept[0]).toEqual([range(6, 10), range(6, 10)]);
    expect(sel.report[0]!.heads[0]).toEqual({ kvHead: 0, before: 10, after: 4 });
    expect(bytesFreed(sel.report[0]!, 64)).toBe(2 * 6 * 64);
    expect(selectPrefill({ kind: 'window', window: 40 }, [blank(10)], { tokens: 6 }).kept[0]![0]).toEqual(range(4, 10));
  });
  it('streaming keeps [0, s) and the last B - s, the sinks inside the budget', () => {
    const policy = resolvePolicy({ kind: 'streaming' });
    expect(policy).toEqual({ kind: 'streaming', sinks: 4 });
    const sel = selectPrefill(policy, [blank(20, 1, 1)], { tokens: 10 });
    expect(sel.kept[0]).toEqual([[0, 1, 2, 3, 14, 15, 16, 17, 18, 19]]);
    const capped = selectPrefill({ kind: 'streaming', sinks: 2, recent: 3 }, [blank(20, 1, 1)], { tokens: 10 });
    expect(capped.kept[0]).toEqual([[0, 1, 17, 18, 19]]);
    const fits = selectPrefill(policy, [blank(8, 1, 1)], { tokens: 10 });
    expect(fits.report[0]!.noCompressionNeeded).toBe(true);
    expect(() => selectPrefill(policy, [blank(20)], { tokens: 3 })).toThrow(BudgetTooSmallError);
  });
});

describe('StreamingLLM decoding (evict_for_space)', () => {
  /** The reference: keep k[:start] and k[seq_len - recent + num_coming:], in sequence order. */
  function refEvict(seq: number[], start: number, recent: number, coming: number): number[] {
    if (seq.length + coming <= start + recent) return seq;
    return [...seq.slice(0, start), ...seq.slice(seq.length - recent + coming)];
  }
  it('matches the reference over a long generation, slots in any order', () => {
    const rng = new Prng(9);
    const [s, r] = [4, 6];
    let ref: number[] = [];
    let slots: number[] = [];
    for (let t = 0; t < 50; t++) {
      ref = refEvict(ref, s, r, 1);
      const keep = streamingEvict(Int32Array.from(slots), s, r, 1);
      slots = keep.map((i) => slots[i]!);
      expect([...slots].sort((a, b) => a - b)).toEqual(ref);
      ref.push(t);
      slots.splice(rng.int(0, slots.length), 0, t);
      expect(slots.length).toBeLessThanOrEqual(s + r);
    }
  });
});

describe('sliding window decoding', () => {
  it('keeps the newest window - incoming slots', () => {
    expect(windowEvict(Int32Array.from([7, 3, 9, 8, 5]), 4)).toEqual([0, 2, 3]);
    expect(windowEvict(Int32Array.from([7, 3, 9, 8, 5]), 4, 0)).toEqual([0, 2, 3, 4]);
    expect(windowEvict(Int32Array.from([1, 2]), 4)).toEqual([0, 1]);
  });
});

describe('TOVA', () => {
  it('prefill keeps the top B by the last query row averaged over every head, shared by all KV heads', () => {
    const rng = new Prng(21);
    const n = 24;
    const m = randomHeads(rng, 4, 2, n, 8);
    const rows = Array.from({ length: 4 }, (_, h) => attentionRow(m, h, n - 1));
    const stats: PrefillStats = { n, nHeads: 4, nKvHeads: 2, windowSums: Float64Array.from(rows.flat()) };
    const mean = range(0, n).map((j) => rows.reduce((a, r) => a + r[j]!, 0) / 4);
    const ref = range(0, n)
      .sort((a, b) => mean[b]! - mean[a]! || a - b)
      .slice(0, 8)
      .sort((a, b) => a - b);
    const sel = selectPrefill({ kind: 'tova' }, [stats], { tokens: 8 });
    expect(sel.kept[0]).toEqual([ref, ref]);
  });
  it('decoding drops the lowest mean score, ties to the lower position', () => {
    const mean = meanOverHeads([0.1, 0.4, 0.2, 0.3, 0.3, 0.5, 0.1, 0.2, 0.2, 0.3], 2, 5);
    expect(Array.from(mean).map((v) => +v.toFixed(6))).toEqual([0.3, 0.25, 0.2, 0.25, 0.3]);
    expect(tovaEvict(mean, 4)).toEqual([0, 1, 4]); // 0.25 tie: slot 1 before slot 3
    expect(tovaEvict(mean, 4, 0)).toEqual([0, 1, 3, 4]);
    expect(tovaEvict([1, 1, 1], 3, 1, Int32Array.from([8, 2, 5]))).toEqual([1, 2]);
    expect(tovaEvict([1, 1], 3)).toEqual([0, 1]);
  });
});

describe('prefill methods re-run during decoding', () => {
  it('are due every interval steps, when the cache is over target', () => {
    expect(recompressDue(512, 3000)).toBe(true);
    expect(recompressDue(511, 3000)).toBe(false);
    expect(recompressDue(1024, 2048)).toBe(false);
    expect(recompressDue(0, 9999)).toBe(false);
    expect(recompressDue(20, 9, { interval: 10, target: 8 })).toBe(true);
  });
});
