import { BudgetTooSmallError, InvalidPolicyConfigError } from '../errors.js';

/** A policy parameter that must be an integer in `[min, max]`. */
export function requireInt(policy: string, name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new InvalidPolicyConfigError(`${policy}: ${name} must be an integer ${range}, got ${String(value)}`);
  }
  return value;
}

/** A policy parameter that must be a finite number in `[min, max]` (`minOpen`: excluding `min`). */
export function requireNumber(policy: string, name: string, value: unknown, min: number, max: number, minOpen = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (minOpen && value === min)) {
    throw new InvalidPolicyConfigError(`${policy}: ${name} must be in ${minOpen ? '(' : '['}${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** A policy parameter that must be one of a few strings. */
export function requireOneOf<T extends string>(policy: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidPolicyConfigError(`${policy}: ${name} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  }
  return value as T;
}

/** The per-layer token budget: a non-negative integer at least what the policy always keeps. */
export function checkBudget(policy: string, tokens: number, min: number, what: string): number {
  if (!Number.isSafeInteger(tokens) || tokens < 0) {
    throw new InvalidPolicyConfigError(`${policy}: the token budget must be an integer >= 0, got ${tokens}`);
  }
  if (tokens < min) {
    throw new BudgetTooSmallError(`${policy}: a budget of ${tokens} tokens cannot hold the ${min} tokens of its ${what}`);
  }
  return tokens;
}
