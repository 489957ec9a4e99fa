// `pnpm kvkit fuzz <format>`: a long seeded mutation campaign against one of kvkit's file readers, with the
// counts the acceptance asks for (inputs, typed errors, untyped exceptions, hangs, oversize allocations).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@kvkit/fixtures';
import type { CampaignReport, FuzzFormat, FuzzTarget, SeedFiles } from '@kvkit/fuzz';
import { ALLOCATION_SLACK, DEFAULT_TIME_BOUND_MS, FUZZ_FORMATS, fuzzTargets, runCampaign } from '@kvkit/fuzz';
import * as loaders from '@kvkit/loaders';
import type { Command, Flags } from 'kvkit/commands';
import { formatFlags, formatOf, int, note, writeJson } from 'kvkit/commands';
import { fixture } from '../fixtures.js';

const flags = {
  iterations: { type: 'string', value: '<n>', help: 'mutated inputs to parse', default: '10000' },
  seed: { type: 'string', value: '<s>', help: 'campaign seed (input i is replayable from seed and i)', default: '1' },
  'time-bound': { type: 'string', value: '<ms>', help: 'an input parsed for longer counts as a hang', default: String(DEFAULT_TIME_BOUND_MS) },
  ...formatFlags,
} as const;

function seedFiles(): SeedFiles {
  const read = (path: string): Uint8Array => new Uint8Array(readFileSync(path));
  const gqa = join(REPO_ROOT, 'packages/models/gqa');
  return {
    storiesGguf: read(fixture('models/stories260K/stories260K.gguf')),
    storiesBin: read(fixture('models/stories260K/stories260K.bin')),
    tok512: read(fixture('models/stories260K/tok512.bin')),
    hfConfig: read(join(gqa, 'config.json')),
    hfSafetensors: read(join(gqa, 'model.safetensors')),
    hfTokenizer: read(join(gqa, 'tokenizer.json')),
  };
}

function text(r: CampaignReport, seconds: number): string {
  const codes = Object.entries(r.codes).map(([c, n]) => `${c} ${n}`).join(', ');
  return [
    `format ${r.format}, seed ${r.seed}: ${r.inputs} inputs in ${seconds.toFixed(1)} s`,
    `  parsed ${r.parsed}, typed errors ${r.typedErrors} (${codes || 'none'})`,
    `  untyped exceptions ${r.untyped}, hangs ${r.hangs} (and ${r.retimed} over the bound once, within it when parsed again), oversize allocations ${r.oversize} (slack ${ALLOCATION_SLACK} bytes; largest excess ${r.largestExcessBytes})`,
    ...r.failures.map((f) => `  ${f.kind}: input ${f.iteration} (input seed ${f.inputSeed}, from ${f.seedName}): ${f.detail}`),
  ].join('\n');
}

function fuzzCommand(format: FuzzFormat): Command {
  return {
    name: `fuzz ${format}`,
    summary: `seeded mutation fuzzing of the ${format} reader: counts of typed errors, untyped exceptions, hangs, oversize allocations`,
    flags,
    details: `Example: pnpm kvkit fuzz ${format} --iterations 100000 --seed 7\nExits 1 when any input gave an untyped exception, a hang or an oversize allocation.`,
    async run(f: Flags): Promise<void> {
      const output = formatOf(f);
      const iterations = int(f, 'iterations', 1) ?? 10000;
      const seed = int(f, 'seed', 0, 0xffffffff) ?? 1;
      const timeBoundMs = int(f, 'time-bound', 1) ?? DEFAULT_TIME_BOUND_MS;
      const target = fuzzTargets(loaders, seedFiles())[format] as FuzzTarget<unknown>;
      const start = performance.now();
      const every = Math.max(1000, Math.round(iterations / 20));
      const report = await runCampaign(target, {
        iterations,
        seed,
        timeBoundMs,
        every,
        onProgress: (r) => note(`${format}: ${r.inputs}/${iterations} inputs, ${r.untyped} untyped, ${r.hangs} hangs, ${r.oversize} oversize`),
      });
      const seconds = (performance.now() - start) / 1000;
      if (output === 'json') writeJson({ ...report, seconds, allocationSlack: ALLOCATION_SLACK, timeBoundMs });
      else process.stdout.write(text(report, seconds) + '\n');
      if (report.untyped + report.hangs + report.oversize > 0) process.exitCode = 1;
    },
  };
}

export const FUZZ_COMMANDS: Command[] = FUZZ_FORMATS.map(fuzzCommand);
