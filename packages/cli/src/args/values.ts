// Typed values of parsed flags. Each check names the flag, says what it must be and what it got.
import { UsageError } from '../errors.js';
import type { Flags } from './flags.js';

export function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function bool(flags: Flags, name: string): boolean {
  return flags[name] === true;
}

export function intValue(value: string, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got '${value}'`);
  }
  return n;
}

export function numValue(value: string, name: string, min: number, max = Infinity, openMin = false): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < min || (openMin && n === min) || n > max) {
    const range = max === Infinity ? `${openMin ? '>' : '>='} ${min}` : `in ${openMin ? '(' : '['}${min}, ${max}]`;
    throw new UsageError(`--${name} must be a number ${range}, got '${value}'`);
  }
  return n;
}

export function int(flags: Flags, name: string, min: number, max?: number): number | undefined {
  const v = str(flags, name);
  return v === undefined ? undefined : intValue(v, name, min, max);
}

export function num(flags: Flags, name: string, min: number, max?: number, openMin = false): number | undefined {
  const v = str(flags, name);
  return v === undefined ? undefined : numValue(v, name, min, max, openMin);
}

export function oneOf<T extends string>(flags: Flags, name: string, allowed: readonly T[]): T | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** A comma-separated list, each item checked by `item` (which throws a UsageError naming the flag). */
export function list<T>(flags: Flags, name: string, item: (s: string) => T): T[] | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`--${name} must be a comma-separated list, got '${v}'`);
  return parts.map(item);
}
