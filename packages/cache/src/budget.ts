import { InvalidArgumentError } from '@kvkit/tensor';
import { BudgetTooSmallError, InvalidPolicyConfigError } from './errors.js';
import { minimumBudget, type PolicyInput } from './policies/config.js';

/**
 * A cache budget as the user gives it (spec §0): tokens per layer, a share of the prompt, or bytes for
 * the whole cache.
 */
export type BudgetSpec = { readonly budget: number } | { readonly ratio: number } | { readonly maxBytes: number };

export interface BudgetContext {
  /** Prompt length (for `ratio`). */
  readonly n: number;
  /** Bytes one token costs in every cache layer together (`bytesPerToken` of bytes.ts), for `maxBytes`. */
  readonly bytesPerToken?: number;
  /**
   * Exact bytes of the whole cache at `t` tokens per layer (`cacheBytes`), for `maxBytes` when the
   * cost is not linear (KIVI's full-precision residual, sliding windows). Must not decrease with `t`.
   */
  readonly bytesForTokens?: (tokens: number) => number;
  /** The policy whose minimum (window, sinks, recent) the budget must hold. */
  readonly policy?: PolicyInput;
}

/** Largest `t` in `[0, cap]` (cap >= 1) with `bytes(t) <= maxBytes` (bytes non-decreasing); -1 when even 0 does not fit. */
export function largestFitting(bytes: (t: number) => number, maxBytes: number, cap: number): number {
  if (bytes(0) > maxBytes) return -1;
  let hi = 1;
  while (hi < cap && bytes(hi) <= maxBytes) hi = Math.min(cap, hi * 2);
  if (bytes(hi) <= maxBytes) return hi;
  let lo = Math.floor(hi / 2); // bytes(lo) <= maxBytes
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (bytes(mid) <= maxBytes) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The largest token count any cache is planned for (2^31 - 1: Int32 positions). */
const MAX_TOKENS = 2 ** 31 - 1;

/**
 * The per-layer token budget (window and sinks included) of a budget spec:
 * - `budget`: as given (a non-negative integer);
 * - `ratio` in (0, 1]: `floor(ratio * n)`, Python's `int(ratio * n)` of H2O's ratio mode and of
 *   kvpress, so that a ratio run is comparable with theirs;
 * - `maxBytes`: the most tokens whose bytes fit: `floor(maxBytes / bytesPerToken)`, or, with
 *   `bytesForTokens`, the largest `t` with `bytesForTokens(t) <= maxBytes`.
 * Throws `BudgetTooSmallError` under `minimumBudget(policy)` and `InvalidPolicyConfigError` for
 * nonsense (ratio <= 0 or > 1, negative or fractional counts).
 */
export function resolveBudget(spec: BudgetSpec, ctx: BudgetContext): { tokens: number } {
  const { n } = ctx;
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`bad prompt length ${n}`);
  let tokens: number;
  let what: string;
  if ('budget' in spec) {
    tokens = spec.budget;
    if (!Number.isSafeInteger(tokens) || tokens < 0) throw new InvalidPolicyConfigError(`budget must be an integer >= 0 tokens, got ${tokens}`);
    what = `${tokens} tokens`;
  } else if ('ratio' in spec) {
    const r = spec.ratio;
    if (typeof r !== 'number' || !Number.isFinite(r) || r <= 0 || r > 1) throw new InvalidPolicyConfigError(`ratio must be in (0, 1], got ${r}`);
    tokens = Math.floor(r * n);
    what = `ratio ${r} of ${n} tokens = ${tokens} tokens`;
  } else if ('maxBytes' in spec) {
    const b = spec.maxBytes;
    if (typeof b !== 'number' || !Number.isFinite(b) || b < 0) throw new InvalidPolicyConfigError(`maxBytes must be a number >= 0, got ${b}`);
    if (ctx.bytesForTokens) {
      tokens = largestFitting(ctx.bytesForTokens, b, MAX_TOKENS);
      if (tokens < 0) throw new BudgetTooSmallError(`maxBytes ${b} is below the cache's fixed cost of ${ctx.bytesForTokens(0)} bytes`);
    } else {
      const per = ctx.bytesPerToken;
      if (per === undefined || !Number.isFinite(per) || per <= 0) {
        throw new InvalidArgumentError('a maxBytes budget needs bytesPerToken > 0 or bytesForTokens');
      }
      tokens = Math.min(MAX_TOKENS, Math.floor(b / per));
    }
    what = `${b} bytes = ${tokens} tokens`;
  } else {
    throw new InvalidPolicyConfigError('a budget needs one of budget, ratio or maxBytes');
  }
  if (ctx.policy) {
    const min = minimumBudget(ctx.policy);
    if (tokens < min) throw new BudgetTooSmallError(`${ctx.policy.kind}: ${what} is under the ${min} tokens it always keeps`);
  }
  return { tokens };
}
