// The settings the page sends to the worker: typed errors for what cannot be used, and the library's
// defaults for what is left empty.
import { resolvePolicy, SNAPKV_DEFAULTS } from '@kvkit/cache';
import { describe, expect, it } from 'vitest';
import { cacheSettings, parseBudget, parsePolicy, POLICIES, SettingsError } from '../src/settings.js';

describe('settings', () => {
  it('offers every policy the cache package resolves, each with its documented defaults', () => {
    expect(POLICIES.map((p) => p.kind)).toEqual(['full', 'window', 'streaming', 'h2o', 'tova', 'snapkv', 'pyramidkv', 'adakv', 'dynamickv']);
    for (const p of POLICIES) {
      const parsed = parsePolicy(p.kind, {});
      // What the page fills in is what resolvePolicy would fill in itself.
      expect(resolvePolicy(parsed)).toEqual(resolvePolicy({ kind: p.kind, ...(p.kind === 'window' ? { window: 64 } : {}) } as never));
    }
    expect(parsePolicy('snapkv', {})).toEqual({ kind: 'snapkv', ...SNAPKV_DEFAULTS });
  });

  it('reads typed parameters and rejects text where a number goes, naming the parameter', () => {
    expect(parsePolicy('snapkv', { window: '16', pooling: 'max' })).toMatchObject({ kind: 'snapkv', window: 16, pooling: 'max', kernel: SNAPKV_DEFAULTS.kernel });
    expect(() => parsePolicy('snapkv', { window: 'abc' })).toThrow(new SettingsError("snapkv parameter 'window' must be a whole number, got 'abc'"));
    expect(() => parsePolicy('adakv', { alpha: '2' })).toThrow(/policy adakv: .*alpha/);
  });

  it('parses the budget as tokens (at least what the policy keeps), a ratio, or bytes', () => {
    const snap = parsePolicy('snapkv', {});
    expect(parseBudget(snap, 'tokens', ' 64 ')).toEqual({ budget: 64 });
    expect(parseBudget(snap, 'ratio', '0.25')).toEqual({ ratio: 0.25 });
    expect(parseBudget(snap, 'bytes', '65536')).toEqual({ maxBytes: 65536 });
    expect(() => parseBudget(snap, 'tokens', '0')).toThrow('budget must be at least 32 tokens for snapkv (what it always keeps), got 0');
    expect(() => parseBudget(snap, 'tokens', '12.5')).toThrow("budget must be a whole number of tokens per layer, got '12.5'");
    expect(() => parseBudget(snap, 'tokens', 'lots')).toThrow(SettingsError);
    expect(() => parseBudget(snap, 'tokens', '')).toThrow(/needs a budget/);
    expect(() => parseBudget(snap, 'ratio', '1.5')).toThrow("budget ratio must be a number in (0, 1], got '1.5'");
    expect(() => parseBudget(snap, 'bytes', '0')).toThrow('budget in bytes must be at least 1, got 0');
    expect(() => parseBudget(parsePolicy('tova', {}), 'tokens', '0')).toThrow('budget must be at least 1 token for tova, got 0');
  });

  it('a full cache needs no budget, whatever the box says', () => {
    expect(cacheSettings('full', {}, 'tokens', 'anything', 'int8')).toEqual({ policy: null, budget: null, kvDtype: 'int8' });
    expect(cacheSettings('streaming', {}, 'tokens', '48', 'f16')).toEqual({ policy: { kind: 'streaming', sinks: 4 }, budget: { budget: 48 }, kvDtype: 'f16' });
  });
});
