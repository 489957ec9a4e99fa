// The CI share of the loader fuzzer: a few thousand mutated inputs per format, fixed seed. Every input must
// end in a result or a typed KvkitError, within the time bound, and without an allocation larger than the
// input plus ALLOCATION_SLACK. Long campaigns: `pnpm kvkit fuzz <format> --iterations N --seed S`.
import { describe, expect, it } from 'vitest';
import type { CampaignReport, FuzzFormat } from '@kvkit/fuzz';
import { ALLOCATION_SLACK, FUZZ_FORMATS, fuzzTargets, runCampaign } from '@kvkit/fuzz';
import * as loaders from '../src/index.js';
import { fuzzSeedFiles } from './fuzz-seeds.js';

const SEED = 20261205;
/** Inputs per format, sized so each format takes seconds, not minutes, on a loaded 2-core machine. */
const ITERATIONS: Record<FuzzFormat, number> = { gguf: 2000, llama2c: 3000, tok512: 5000, safetensors: 3000, 'tokenizer-json': 2000 };

const targets = fuzzTargets(loaders, fuzzSeedFiles());

function summary(r: CampaignReport): string {
  const lines = r.failures.map((f) => `  ${f.kind} at input ${f.iteration} (seed ${r.seed}, input seed ${f.inputSeed}, from ${f.seedName}): ${f.detail}`);
  return [`${r.format}: ${r.untyped} untyped, ${r.hangs} hangs, ${r.oversize} oversize of ${r.inputs}`, ...lines].join('\n');
}

describe('loader fuzzing (seeded mutations of real files)', () => {
  it.each(FUZZ_FORMATS)('%s: only typed errors, no hang, no oversize allocation', async (format) => {
    const report = await runCampaign(targets[format] as Parameters<typeof runCampaign>[0], { iterations: ITERATIONS[format], seed: SEED });
    expect(report.inputs).toBe(ITERATIONS[format]);
    expect({ untyped: report.untyped, hangs: report.hangs, oversize: report.oversize }, summary(report)).toEqual({ untyped: 0, hangs: 0, oversize: 0 });
    // The mutations must reach both outcomes, else the fuzzer is not exercising the reader.
    expect(report.typedErrors).toBeGreaterThan(ITERATIONS[format] / 10);
    expect(report.parsed).toBeGreaterThan(0);
    expect(report.largestExcessBytes).toBeLessThanOrEqual(ALLOCATION_SLACK);
  }, 300_000);
});
