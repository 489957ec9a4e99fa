// Runs a reader over mutated inputs and counts what came out: parsed, typed KvkitError, anything else
// (an untyped exception), inputs that ran past the time bound, and allocations larger than the input.
import { KvkitError } from '@kvkit/tensor';
import type { AllocationRecord } from './alloc-probe.js';
import { measureAllocations } from './alloc-probe.js';
import { Prng, inputSeed } from './prng.js';

/**
 * What a reader may allocate beyond the size of its input in one allocation (bytes, or elements of one Array):
 * fixed tables (the 256-entry byte map of a tokenizer) and the f32 copies of f16 norm vectors. Anything larger
 * before the sizes are checked against the input is the bug the probe looks for.
 */
export const ALLOCATION_SLACK = 1 << 20;
/** An input still being parsed after this long counts as a hang (generous: CI machines are loaded). */
export const DEFAULT_TIME_BOUND_MS = 2000;

export interface FuzzTarget<I> {
  /** 'gguf', 'llama2c', ... */
  readonly format: string;
  readonly seeds: readonly { readonly name: string; readonly input: I }[];
  /** A mutated copy of `input` (which is never modified). */
  mutate(input: I, rng: Prng): I;
  /** The reader under test: returns (or resolves) for a valid input, throws a typed error for a bad one. */
  parse(input: I): unknown;
  /** Bytes of the input, the bound for the allocations it may cause. */
  size(input: I): number;
}

export type FailureKind = 'untyped' | 'hang' | 'oversize';

export interface Failure {
  readonly kind: FailureKind;
  readonly iteration: number;
  /** Replays this input alone: `mutate` with `new Prng(inputSeed)` on seed `seedName`. */
  readonly inputSeed: number;
  readonly seedName: string;
  readonly detail: string;
}

export interface CampaignReport {
  readonly format: string;
  readonly seed: number;
  readonly inputs: number;
  readonly parsed: number;
  readonly typedErrors: number;
  /** Typed errors by KvkitError code. */
  readonly codes: Record<string, number>;
  readonly untyped: number;
  readonly hangs: number;
  /** Inputs over the time bound once but within it when parsed again (a stall of the machine, not the reader). */
  readonly retimed: number;
  readonly oversize: number;
  /** The first failures of each kind (at most 5 per kind). */
  readonly failures: Failure[];
  /** Largest (allocation - input size) seen, in bytes; negative when every allocation was below the input size. */
  readonly largestExcessBytes: number;
}

export interface CampaignOptions {
  readonly iterations: number;
  readonly seed: number;
  readonly timeBoundMs?: number;
  /** Called every `every` inputs with the report so far. */
  readonly onProgress?: (report: CampaignReport) => void;
  readonly every?: number;
}

/** The input of iteration `i`: a seed file picked and mutated from the iteration's own PRNG. */
export function fuzzInput<I>(target: FuzzTarget<I>, seed: number, i: number): { input: I; seedName: string; inputSeed: number } {
  const s = inputSeed(seed, i);
  const rng = new Prng(s);
  const { name, input } = rng.pick(target.seeds);
  return { input: target.mutate(input, rng), seedName: name, inputSeed: s };
}

export async function runCampaign<I>(target: FuzzTarget<I>, opts: CampaignOptions): Promise<CampaignReport> {
  const bound = opts.timeBoundMs ?? DEFAULT_TIME_BOUND_MS;
  const codes: Record<string, number> = {};
  const failures: Failure[] = [];
  const counts = { parsed: 0, typedErrors: 0, untyped: 0, hangs: 0, retimed: 0, oversize: 0 };
  let largestExcess = -Infinity;
  const report = (inputs: number): CampaignReport => ({
    format: target.format,
    seed: opts.seed,
    inputs,
    ...counts,
    codes: { ...codes },
    failures: [...failures],
    largestExcessBytes: largestExcess,
  });
  const fail = (kind: FailureKind, iteration: number, x: { seedName: string; inputSeed: number }, detail: string): void => {
    if (failures.filter((f) => f.kind === kind).length < 5) failures.push({ kind, iteration, inputSeed: x.inputSeed, seedName: x.seedName, detail });
  };
  for (let i = 0; i < opts.iterations; i++) {
    const x = fuzzInput(target, opts.seed, i);
    const size = target.size(x.input);
    const record: AllocationRecord = { bytes: 0, arrayLength: 0 };
    const start = performance.now();
    try {
      await measureAllocations(() => target.parse(x.input), record);
      counts.parsed++;
    } catch (e) {
      if (e instanceof KvkitError) {
        counts.typedErrors++;
        codes[e.code] = (codes[e.code] ?? 0) + 1;
      } else {
        counts.untyped++;
        fail('untyped', i, x, e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e));
      }
    }
    const ms = performance.now() - start;
    if (ms > bound) {
      // A loaded machine can stall any one parse (descheduled, a major GC): time the same input again, and
      // count a hang only when it is slow both times. A reader that loops forever never gets here at all.
      const again = performance.now();
      await Promise.resolve(target.parse(x.input)).catch(() => undefined);
      const ms2 = performance.now() - again;
      if (ms2 > bound) {
        counts.hangs++;
        fail('hang', i, x, `${ms.toFixed(0)} ms, then ${ms2.toFixed(0)} ms`);
      } else counts.retimed++;
    }
    const excess = Math.max(record.bytes, record.arrayLength) - size;
    largestExcess = Math.max(largestExcess, excess);
    if (excess > ALLOCATION_SLACK) {
      counts.oversize++;
      fail('oversize', i, x, `allocated ${record.bytes} bytes / an Array of ${record.arrayLength} for a ${size}-byte input`);
    }
    if (opts.onProgress && opts.every && (i + 1) % opts.every === 0) opts.onProgress(report(i + 1));
  }
  return report(opts.iterations);
}
