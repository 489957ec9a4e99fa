import { describe, expect, it } from 'vitest';
import { resolveBudget } from '../src/budget.js';
import { bytesPerToken, cacheBytes } from '../src/bytes.js';
import { BudgetTooSmallError, InvalidPolicyConfigError } from '../src/errors.js';
import { resolvePolicy } from '../src/policies/index.js';
import { kvSourceIdentity } from '../src/sharing/index.js';

describe('resolveBudget', () => {
  it('takes a token count as given', () => {
    expect(resolveBudget({ budget: 128 }, { n: 1000 })).toEqual({ tokens: 128 });
  });
  it('ratio: floor(ratio * n), like int(ratio * n) in the references', () => {
    expect(resolveBudget({ ratio: 0.2 }, { n: 1000 })).toEqual({ tokens: 200 });
    expect(resolveBudget({ ratio: 0.25 }, { n: 10 })).toEqual({ tokens: 2 });
    expect(resolveBudget({ ratio: 1 }, { n: 77 })).toEqual({ tokens: 77 });
    expect(() => resolveBudget({ ratio: 0 }, { n: 10 })).toThrow(InvalidPolicyConfigError);
    expect(() => resolveBudget({ ratio: 1.5 }, { n: 10 })).toThrow(InvalidPolicyConfigError);
  });
  it('maxBytes: the most tokens whose bytes fit', () => {
    const layout = { kvSource: kvSourceIdentity(4), nKvHeads: 2, headDim: 64, kvDtype: 'f16' as const };
    const per = bytesPerToken(layout); // 2048
    expect(resolveBudget({ maxBytes: 100 * per }, { n: 1000, bytesPerToken: per })).toEqual({ tokens: 100 });
    expect(resolveBudget({ maxBytes: 100 * per - 1 }, { n: 1000, bytesPerToken: per })).toEqual({ tokens: 99 });
    // KIVI: the residual costs more than the steady rate, so the exact function admits fewer tokens
    const kivi = { ...layout, kvDtype: 'kivi2' as const };
    const exact = resolveBudget({ maxBytes: 1_000_000 }, { n: 1000, bytesForTokens: (t) => cacheBytes(kivi, t) }).tokens;
    expect(cacheBytes(kivi, exact)).toBeLessThanOrEqual(1_000_000);
    expect(cacheBytes(kivi, exact + 1)).toBeGreaterThan(1_000_000);
    expect(exact).toBeLessThan(Math.floor(1_000_000 / bytesPerToken(kivi)));
    expect(() => resolveBudget({ maxBytes: 10 }, { n: 10 })).toThrow(/bytesPerToken/);
  });
  it('refuses budgets under what the policy always keeps', () => {
    const snap = resolvePolicy({ kind: 'snapkv' });
    expect(() => resolveBudget({ budget: 31 }, { n: 1000, policy: snap })).toThrow(BudgetTooSmallError);
    expect(() => resolveBudget({ ratio: 0.01 }, { n: 1000, policy: snap })).toThrow(BudgetTooSmallError);
    expect(resolveBudget({ budget: 32 }, { n: 1000, policy: snap })).toEqual({ tokens: 32 });
    expect(() => resolveBudget({ budget: 3 }, { n: 1000, policy: resolvePolicy({ kind: 'streaming' }) })).toThrow(BudgetTooSmallError);
    expect(() => resolveBudget({ budget: 1.5 }, { n: 10 })).toThrow(InvalidPolicyConfigError);
  });
});
