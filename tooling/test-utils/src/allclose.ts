// numpy-style closeness, |actual - expected| <= atol + rtol * |expected|, and the vitest matcher
// `toBeAllclose` that reports the worst element instead of a 10 000-line diff.
import { expect } from 'vitest';

export interface AllcloseOptions {
  /** Absolute tolerance (default 1e-6). */
  readonly atol?: number;
  /** Relative tolerance, times |expected| (default 1e-5). */
  readonly rtol?: number;
  /** Shape of the arrays, to print the worst element as a multi-index. */
  readonly shape?: readonly number[];
}

export interface AllcloseResult {
  readonly pass: boolean;
  /** Elements compared (the shorter length when lengths differ). */
  readonly count: number;
  /** Elements outside the tolerance (NaN against a number, or a wrong infinity, counts). */
  readonly failures: number;
  readonly lengthMismatch: boolean;
  /** Element with the largest error relative to its tolerance; -1 when there is none. */
  readonly worstIndex: number;
  readonly worstActual: number;
  readonly worstExpected: number;
  /** |actual - expected| at worstIndex. */
  readonly worstError: number;
  /** atol + rtol * |expected| at worstIndex. */
  readonly worstTolerance: number;
  /** Largest |actual - expected| over all elements. */
  readonly maxAbsError: number;
}

/** Compare two arrays element-wise; NaN equals NaN and infinities must match exactly. */
export function allclose(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: AllcloseOptions = {}): AllcloseResult {
  const { atol = 1e-6, rtol = 1e-5 } = opts;
  const count = Math.min(actual.length, expected.length);
  let failures = 0;
  let worstIndex = -1;
  let worstRatio = -1;
  let worstError = 0;
  let maxAbsError = 0;
  for (let i = 0; i < count; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    let err: number;
    if (Number.isNaN(a) || Number.isNaN(e)) err = Number.isNaN(a) && Number.isNaN(e) ? 0 : Infinity;
    else if (!Number.isFinite(a) || !Number.isFinite(e)) err = a === e ? 0 : Infinity;
    else err = Math.abs(a - e);
    const tol = Number.isFinite(e) ? atol + rtol * Math.abs(e) : 0;
    if (err > tol) failures++;
    if (err > maxAbsError) maxAbsError = err;
    const ratio = err === 0 ? 0 : tol > 0 ? err / tol : Infinity;
    if (ratio > worstRatio || (ratio === worstRatio && err > worstError)) {
      worstRatio = ratio;
      worstIndex = i;
      worstError = err;
    }
  }
  const lengthMismatch = actual.length !== expected.length;
  const e = worstIndex >= 0 ? expected[worstIndex]! : NaN;
  return {
    pass: failures === 0 && !lengthMismatch,
    count,
    failures,
    lengthMismatch,
    worstIndex,
    worstActual: worstIndex >= 0 ? actual[worstIndex]! : NaN,
    worstExpected: e,
    worstError,
    worstTolerance: Number.isFinite(e) ? atol + rtol * Math.abs(e) : 0,
    maxAbsError,
  };
}

function multiIndex(i: number, shape: readonly number[] | undefined): string {
  if (!shape || shape.length < 2) return `${i}`;
  const idx: number[] = [];
  let r = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(r % shape[d]!);
    r = Math.floor(r / shape[d]!);
  }
  return `${i} [${idx.join(', ')}]`;
}

/** One paragraph describing an allclose result (the matcher's failure message). */
export function describeAllclose(r: AllcloseResult, opts: AllcloseOptions = {}): string {
  const { atol = 1e-6, rtol = 1e-5 } = opts;
  const g = (x: number): string => x.toPrecision(7);
  const lines = [`allclose(atol=${atol}, rtol=${rtol}): ${r.failures} of ${r.count} elements outside tolerance, max |diff| ${g(r.maxAbsError)}`];
  if (r.lengthMismatch) lines.push('lengths differ');
  if (r.worstIndex >= 0) {
    lines.push(
      `worst at index ${multiIndex(r.worstIndex, opts.shape)}: actual ${g(r.worstActual)}, expected ${g(r.worstExpected)}, ` +
        `|diff| ${g(r.worstError)} vs tolerance ${g(r.worstTolerance)}`,
    );
  }
  return lines.join('\n');
}

/** Register `toBeAllclose` with vitest's `expect` (idempotent); call at the top of a test file. */
export function setup(): void {
  expect.extend({
    toBeAllclose(received: ArrayLike<number>, expected: ArrayLike<number>, opts: AllcloseOptions = {}) {
      const r = allclose(received, expected, opts);
      const lengths = r.lengthMismatch ? ` (lengths ${received.length} vs ${expected.length})` : '';
      return {
        pass: r.pass,
        message: () =>
          this.isNot
            ? `expected arrays not to be allclose, but all ${r.count} elements are within tolerance`
            : `expected arrays to be allclose${lengths}\n${describeAllclose(r, opts)}`,
      };
    },
  });
}

interface AllcloseMatchers<R = unknown> {
  /** Element-wise |actual - expected| <= atol + rtol * |expected| (see `allclose`). */
  toBeAllclose(expected: ArrayLike<number>, opts?: AllcloseOptions): R;
}

declare module 'vitest' {
  interface Assertion<T = any> extends AllcloseMatchers<T> {}
  interface AsymmetricMatchersContaining extends AllcloseMatchers {}
}
