import { readFileSync } from 'node:fs';
import { LlamaModel } from '@kvkit/runtime';
import { intArg, numArg, oneOf, parse, UsageError } from '../args.js';
import { openBackend } from '../backend-choice.js';
import { Progress } from '../bench/progress.js';
import { heldOutText } from '../heldout.js';
import { openModel } from '../model-source.js';
import { Haystack } from '../needle/haystack.js';
import { runNeedle } from '../needle/run-needle.js';
import { kvDtypeFromArgs, kvDtypeHelp, kvDtypeOptions, policyFromArgs, policyHelp, policyOptions } from '../policy-args.js';
import { TINYSTORIES } from '../text-windows.js';

export const evalNeedleHelp = `kvkit eval needle [--model <m>] [--lengths 256,512,1024,2048] [--depths 0,0.25,0.5,0.75,1] [--trials 4] [--seed 1]
               [--data <text file> (default: the held-out 10 % of TinyStories)] [--backend cpu|wasm|webgpu] [--threads n] [--format text|json]
               ${policyHelp}
               ${kvDtypeHelp}`;

function list(value: string | undefined, name: string, fallback: number[], parseOne: (s: string) => number): number[] {
  if (value === undefined) return fallback;
  const xs = value.split(',').map((s) => parseOne(s.trim()));
  if (xs.length === 0) throw new UsageError(`--${name} needs at least one value`);
  return xs;
}

/** Needle-in-a-haystack retrieval: accuracy per prompt length and needle depth, under a policy and KV dtype. */
export async function evalNeedleCommand(argv: string[]): Promise<void> {
  const a = parse(argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    lengths: { type: 'string' },
    depths: { type: 'string' },
    trials: { type: 'string' },
    seed: { type: 'string' },
    data: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    format: { type: 'string' },
    ...policyOptions,
    ...kvDtypeOptions,
  });
  const format = oneOf(a.format, 'format', ['text', 'json'] as const, 'text');
  const policy = policyFromArgs(a);
  const storage = kvDtypeFromArgs(a);
  const loaded = await openModel(a.model, a.tokenizer);
  const ctx = loaded.config.contextLength;
  const lengths = list(a.lengths, 'lengths', [256, 512, 1024, 2048].filter((n) => n <= ctx), (s) => intArg(s, 'lengths', 0, 32));
  for (const n of lengths) if (n > ctx) throw new UsageError(`--lengths ${n} exceeds the model's context of ${ctx}`);
  const depths = list(a.depths, 'depths', [0, 0.25, 0.5, 0.75, 1], (s) => numArg(s, 'depths', 0, 0));
  for (const d of depths) if (d > 1) throw new UsageError(`--depths must lie in [0, 1], got ${d}`);
  let text: string;
  try {
    text = readFileSync(a.data ?? TINYSTORIES, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${a.data ?? TINYSTORIES}: ${(e as Error).message}`);
  }
  const haystack = new Haystack(loaded.tokenizer, a.data ? text : heldOutText(text));
  using backend = await openBackend(a.backend, intArg(a.threads, 'threads', 1, 1));
  using model = LlamaModel.load(backend, loaded);
  const trials = intArg(a.trials, 'trials', 4, 1);
  const progress = new Progress('needle', lengths.length * depths.length * trials, { quiet: format === 'json' });
  const res = await runNeedle(model, loaded.tokenizer, haystack, {
    lengths,
    depths,
    trials,
    seed: intArg(a.seed, 'seed', 1, 0),
    session: { ...(policy ? { policy } : {}), ...storage },
    onPrompt: (done, total) => progress.tick(`${done}/${total} prompts`),
  });
  progress.finish();
  const out = { ...res, lengths, depths, kvDtype: storage.kvDtype ?? 'f32', ...(policy ? { policy: policy.policy.kind, budget: policy.budget } : {}) };
  if (format === 'json') {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const cell = (l: number, d: number) => res.grid.find((c) => c.length === l && c.depth === d)!;
  const rows = [`| length | ${depths.map((d) => `depth ${d}`).join(' | ')} |`, `| ---: | ${depths.map(() => '---:').join(' | ')} |`];
  for (const l of lengths) rows.push(`| ${l} | ${depths.map((d) => `${(cell(l, d).accuracy * 100).toFixed(0)}%`).join(' | ')} |`);
  process.stdout.write(`${rows.join('\n')}\naccuracy ${(res.accuracy * 100).toFixed(1)}% over ${res.grid.reduce((s, c) => s + c.trials, 0)} prompts; cache at ${Math.max(...lengths)} tokens: ${Math.round(res.bytesAtLongest)} bytes\n`);
}
