import { KvkitError } from '@kvkit/tensor';

/** A token or byte budget that cannot hold what the policy must always keep (window, sinks, recent). */
export class BudgetTooSmallError extends KvkitError {
  constructor(message: string) {
    super('BUDGET_TOO_SMALL', message);
  }
}

/** A policy configuration with a missing, out-of-range or contradictory parameter. */
export class InvalidPolicyConfigError extends KvkitError {
  constructor(message: string) {
    super('INVALID_POLICY_CONFIG', message);
  }
}

/** A cross-layer sharing map (`kvSource`) or head-sharing setting that no model can have. */
export class InvalidSharingConfigError extends KvkitError {
  constructor(message: string) {
    super('INVALID_SHARING_CONFIG', message);
  }
}
