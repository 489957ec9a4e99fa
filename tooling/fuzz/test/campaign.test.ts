import { describe, expect, it } from 'vitest';
import { KvkitError } from '@kvkit/tensor';
import type { AllocationRecord, FuzzTarget } from '../src/index.js';
import { ALLOCATION_SLACK, Prng, fuzzInput, measureAllocations, measureAllocationsSync, mutateBytes, runCampaign, tok512Layout } from '../src/index.js';

describe('allocation probe', () => {
  it('sees typed arrays, ArrayBuffers and Arrays by the size asked for, also when the allocation fails', async () => {
    const sizes: [() => unknown, keyof AllocationRecord, number][] = [
      [() => new Uint8Array(1000), 'bytes', 1000],
      [() => new Float32Array(1000), 'bytes', 4000],
      [() => Float64Array.from([1, 2, 3]), 'bytes', 24],
      [() => new ArrayBuffer(5000), 'bytes', 5000],
      [() => new Array(7000), 'arrayLength', 7000],
      [() => Array.from({ length: 9000 }), 'arrayLength', 9000],
      [() => new Uint8Array(2 ** 53 - 1), 'bytes', 2 ** 53 - 1],
    ];
    for (const [fn, key, want] of sizes) {
      const record: AllocationRecord = { bytes: 0, arrayLength: 0 };
      await measureAllocations(fn, record).catch(() => undefined);
      expect(record[key], String(fn)).toBe(want);
    }
  });

  it('measures synchronous code without awaiting, and restores the constructors when it throws', () => {
    const record: AllocationRecord = { bytes: 0, arrayLength: 0 };
    const before = globalThis.Float32Array;
    expect(() => measureAllocationsSync(() => {
      new Float32Array(300);
      throw new RangeError('after allocating');
    }, record)).toThrow(RangeError);
    expect(record.bytes).toBe(1200);
    expect(globalThis.Float32Array).toBe(before);
  });

  it('puts the real constructors back afterwards, and instanceof works meanwhile', async () => {
    const before = globalThis.Uint8Array;
    const record: AllocationRecord = { bytes: 0, arrayLength: 0 };
    const inside = await measureAllocations(() => new before(4) instanceof Uint8Array && new Uint8Array(4) instanceof before, record);
    expect(inside).toBe(true);
    expect(globalThis.Uint8Array).toBe(before);
    expect(new Uint8Array(2).constructor).toBe(Uint8Array);
  });
});

class ParseError extends KvkitError {
  constructor() {
    super('MALFORMED_FILE', 'bad');
  }
}

describe('campaign', () => {
  const seed = Uint8Array.from({ length: 64 }, (_, i) => i);
  // First byte decides: < 64 parses, 64..127 typed error, 128..191 TypeError, >= 192 allocates 1 MiB too much.
  const target: FuzzTarget<Uint8Array> = {
    format: 'test',
    seeds: [{ name: 'seed', input: seed }],
    mutate: (b, rng) => mutateBytes(b, tok512Layout, rng),
    parse: (b) => {
      const x = b[0] ?? 0;
      if (x >= 192) return new Uint8Array(b.length + ALLOCATION_SLACK + 1);
      if (x >= 128) throw new TypeError('untyped');
      if (x >= 64) throw new ParseError();
      return x;
    },
    size: (b) => b.length,
  };

  it('counts each outcome as replaying every input alone says', async () => {
    const report = await runCampaign(target, { iterations: 400, seed: 5 });
    const want = { parsed: 0, typedErrors: 0, untyped: 0, oversize: 0 };
    for (let i = 0; i < 400; i++) {
      const x = fuzzInput(target, 5, i).input[0] ?? 0;
      if (x >= 192) want.parsed++, want.oversize++;
      else if (x >= 128) want.untyped++;
      else if (x >= 64) want.typedErrors++;
      else want.parsed++;
    }
    expect({ parsed: report.parsed, typedErrors: report.typedErrors, untyped: report.untyped, oversize: report.oversize }).toEqual(want);
    expect(want.untyped).toBeGreaterThan(0);
    expect(want.oversize).toBeGreaterThan(0);
    expect(report.failures.filter((f) => f.kind === 'untyped')).toHaveLength(Math.min(5, want.untyped));
    expect(report.hangs).toBe(0);
  });

  it('counts a hang only when an input is over the time bound twice', async () => {
    let calls = 0;
    const busy = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    // Input 0 is slow every time, input 1 only the first time (a stall), the rest never.
    const timed: FuzzTarget<number> = {
      format: 'timed',
      seeds: [{ name: 'n', input: 0 }],
      mutate: () => calls++,
      parse: (n) => {
        if (n === 0 || (n === 1 && !stalled)) {
          stalled = n === 1;
          busy(300);
        }
      },
      size: () => 1,
    };
    let stalled = false;
    const report = await runCampaign(timed, { iterations: 4, seed: 1, timeBoundMs: 200 });
    expect([report.hangs, report.retimed]).toEqual([1, 1]);
    expect(report.failures.find((f) => f.kind === 'hang')?.iteration).toBe(0);
  });

  it('an input is the same mutation whenever it is replayed', () => {
    expect(fuzzInput(target, 9, 123).input).toEqual(fuzzInput(target, 9, 123).input);
    expect(new Prng(1).next()).toBe(new Prng(1).next());
  });
});
