import { describe, expect, it } from 'vitest';
import { KvkitError } from '@kvkit/tensor';
import { BudgetTooSmallError, InvalidPolicyConfigError } from '../src/errors.js';
import { minimumBudget, prefillStatsNeeded, resolvePolicy, selectPrefill, type PolicyInput } from '../src/policies/index.js';

describe('resolvePolicy', () => {
  it('fills the reference defaults of each method', () => {
    expect(resolvePolicy({ kind: 'pyramidkv' })).toEqual({ kind: 'pyramidkv', window: 32, kernel: 5, pooling: 'avg', gqa: 'mean', beta: 20 });
    expect(resolvePolicy({ kind: 'h2o' })).toEqual({ kind: 'h2o', normalize: false, gqa: 'mean' });
    expect(resolvePolicy({ kind: 'snapkv', window: 8, kernel: 7, pooling: 'max' })).toMatchObject({ window: 8, kernel: 7, pooling: 'max' });
    expect(resolvePolicy({ kind: 'snapkv', window: undefined })).toMatchObject({ window: 32 });
  });
  it('is idempotent', () => {
    for (const kind of ['full', 'tova', 'snapkv', 'pyramidkv', 'adakv', 'dynamickv', 'h2o', 'streaming'] as const) {
      const p = resolvePolicy({ kind } as PolicyInput);
      expect(resolvePolicy(p)).toEqual(p);
    }
  });
  it('rejects bad parameters with typed errors', () => {
    const bad: unknown[] = [
      { kind: 'snapkv', kernel: 4 },
      { kind: 'snapkv', window: 0 },
      { kind: 'snapkv', pooling: 'median' },
      { kind: 'adakv', alpha: 1.5 },
      { kind: 'dynamickv', rMax: 0 },
      { kind: 'dynamickv', m: 0 },
      { kind: 'pyramidkv', beta: 0 },
      { kind: 'window' },
      { kind: 'streaming', sinks: -1 },
      { kind: 'h2o', recent: 1.5 },
      { kind: 'lru' },
    ];
    for (const b of bad) {
      expect(() => resolvePolicy(b as PolicyInput), JSON.stringify(b)).toThrow(InvalidPolicyConfigError);
    }
    try {
      resolvePolicy({ kind: 'snapkv', kernel: 4 });
    } catch (e) {
      expect(e).toBeInstanceOf(KvkitError);
      expect((e as KvkitError).code).toBe('INVALID_POLICY_CONFIG');
    }
  });
});

describe('policy requirements', () => {
  it('states the minimum budget and the statistics each policy needs', () => {
    expect(minimumBudget(resolvePolicy({ kind: 'snapkv' }))).toBe(32);
    expect(minimumBudget(resolvePolicy({ kind: 'streaming', sinks: 4 }))).toBe(4);
    expect(minimumBudget(resolvePolicy({ kind: 'h2o', recent: 16 }))).toBe(16);
    expect(prefillStatsNeeded(resolvePolicy({ kind: 'dynamickv' }))).toEqual({ window: 8, columnSums: false });
    expect(prefillStatsNeeded(resolvePolicy({ kind: 'tova' }))).toEqual({ window: 1, columnSums: false });
    expect(prefillStatsNeeded(resolvePolicy({ kind: 'h2o' }))).toEqual({ window: null, columnSums: true });
    expect(prefillStatsNeeded({ kind: 'full' })).toBeNull();
  });
  it('throws BUDGET_TOO_SMALL under the window', () => {
    const stats = { n: 64, nHeads: 2, nKvHeads: 1, windowSums: new Float32Array(128) };
    for (const kind of ['snapkv', 'pyramidkv', 'adakv', 'dynamickv'] as const) {
      const p = resolvePolicy({ kind, window: 8 });
      expect(() => selectPrefill(p, [stats], { tokens: 7 }), kind).toThrow(BudgetTooSmallError);
      expect(selectPrefill(p, [stats], { tokens: 8 }).kept[0]![0], kind).toEqual([56, 57, 58, 59, 60, 61, 62, 63]);
    }
  });
  it('checks shapes', () => {
    const stats = { n: 64, nHeads: 2, nKvHeads: 1, windowSums: new Float32Array(100) };
    expect(() => selectPrefill(resolvePolicy({ kind: 'snapkv', window: 8 }), [stats], { tokens: 10 })).toThrow(/windowSums/);
    const gqa = { n: 4, nHeads: 3, nKvHeads: 2, windowSums: new Float32Array(12) };
    expect(() => selectPrefill({ kind: 'tova' }, [gqa], { tokens: 2 })).toThrow(/multiple/);
  });
});
