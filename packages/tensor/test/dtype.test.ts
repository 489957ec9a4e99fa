import { describe, expect, it } from 'vitest';
import type { DType } from '../src/index.js';
import { blockInfo, byteSize, DTYPES, isDType, KvkitError, numel } from '../src/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KvkitError);
    return (e as KvkitError).code;
  }
  return undefined;
}

describe('byteSize', () => {
  it.each([
    ['f32', 7, 28],
    ['f16', 7, 14],
    ['bf16', 7, 14],
    ['q8_0', 64, 68],
    ['q4_0', 64, 36],
    ['q8_0', 0, 0],
    ['f32', 0, 0],
  ] as [DType, number, number][])('%s x %i = %i bytes', (dtype, count, bytes) => {
    expect(byteSize(dtype, count)).toBe(bytes);
  });

  it('matches blockInfo for every dtype', () => {
    for (const dtype of DTYPES) {
      const { values, bytes } = blockInfo(dtype);
      expect(byteSize(dtype, 3 * values)).toBe(3 * bytes);
    }
  });

  it.each([
    ['q8_0', 33],
    ['q4_0', 16],
    ['f32', -1],
    ['f16', 1.5],
    ['bf16', NaN],
    ['f32', Infinity],
    ['f32', 2 ** 53],
  ] as [DType, number][])('refuses %s x %d with INVALID_ARGUMENT', (dtype, count) => {
    expect(codeOf(() => byteSize(dtype, count))).toBe('INVALID_ARGUMENT');
  });

  it('refuses an unknown dtype with UNSUPPORTED_DTYPE', () => {
    expect(codeOf(() => byteSize('f64' as DType, 4))).toBe('UNSUPPORTED_DTYPE');
  });
});

describe('numel and isDType', () => {
  it('multiplies dimensions (a scalar has one element)', () => {
    expect(numel([])).toBe(1);
    expect(numel([2, 3, 4])).toBe(24);
    expect(numel([5, 0])).toBe(0);
  });

  it.each([[[2, -1]], [[1.5]], [[NaN]]])('refuses dimensions %j with INVALID_ARGUMENT', (shape) => {
    expect(codeOf(() => numel(shape))).toBe('INVALID_ARGUMENT');
  });

  it('knows exactly the five dtypes', () => {
    expect(DTYPES.every(isDType)).toBe(true);
    expect(isDType('f64')).toBe(false);
    expect(isDType('Q8_0')).toBe(false);
  });
});
