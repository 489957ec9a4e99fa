import type { KvDtype } from '@kvkit/tensor';
import { InvalidArgumentError } from '@kvkit/tensor';
import type { KiviParams } from '../bytes.js';
import { BudgetTooSmallError } from '../errors.js';
import type { CachePolicyOptions } from '../policy-runner.js';
import type { PlannerModel } from './planner-model.js';
import { checkBytes, checkTokens } from './planner-model.js';
import { MIN_USEFUL_TOKENS, recommendCache } from './recommend-cache.js';

/** The cache a session runs for a byte budget. */
export interface CacheChoice {
  readonly kvDtype: KvDtype;
  readonly kivi?: KiviParams;
  /** Absent when the whole context fits. */
  readonly policy?: CachePolicyOptions;
  /** The most tokens per layer the cache holds: the context, or what the policy keeps. */
  readonly budget: number;
  /** The most bytes the whole cache holds on its way to `budget` tokens. */
  readonly bytes: number;
}

/**
 * The storage format, eviction policy and token budget that keep a model's cache within `maxBytes`
 * at `context` tokens (default: the model's context length), as `recommendCache` ranks them.
 * Throws `BudgetTooSmallError`, naming the bytes needed, when not even `MIN_USEFUL_TOKENS` tokens fit.
 * While the prompt is prefilled the cache briefly holds the whole prompt; the policy then brings it
 * under the budget.
 */
export function chooseCacheForBytes(model: PlannerModel, opts: { readonly maxBytes: number; readonly context?: number }): CacheChoice {
  const maxBytes = checkBytes(opts.maxBytes);
  const ctx = opts.context ?? model.contextLength;
  if (ctx === undefined) throw new InvalidArgumentError('chooseCacheForBytes needs a context: the model declares no context length');
  const context = checkTokens('context', ctx);
  const rec = recommendCache(model, context, maxBytes);
  switch (rec.kind) {
    case 'full-cache':
      return { kvDtype: rec.kvDtype, ...(rec.kivi ? { kivi: rec.kivi } : {}), budget: rec.tokens, bytes: rec.bytes };
    case 'evict':
      return { kvDtype: rec.kvDtype, policy: rec.policy, budget: rec.tokens, bytes: rec.bytes };
    case 'too-small':
      throw new BudgetTooSmallError(
        `maxBytes ${maxBytes} holds fewer than ${MIN_USEFUL_TOKENS} tokens per layer of this model's cache in ${rec.kvDtype}; raise maxBytes to at least ${rec.minBytes}`,
      );
    default:
      throw new InvalidArgumentError(`unknown recommendation ${String((rec satisfies never as { kind?: unknown }).kind)}`);
  }
}
