import type { CachePolicyOptions } from '@kvkit/cache';
import { chooseCacheForBytes } from '@kvkit/cache';
import { Haystack, runNeedle, TextTooShortError } from '@kvkit/eval';
import { LlamaModel } from '@kvkit/runtime';
import type { Flags } from '../args/flags.js';
import { bool, int, intValue, list, numValue } from '../args/values.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { backendFlags, backendRequest, describeBackend, openCliBackend } from '../options/backend.js';
import { describeData, evalData, evalDataFlags } from '../options/eval-data.js';
import { loadCliModel, modelChoice, modelFlags } from '../options/model.js';
import { formatFlags, formatOf, note, quietFlag, verbose, verboseFlag, writeJson } from '../options/output.js';
import { cacheRequest, checkPlannerStorage, describePolicy, kvDtypeFlags, kvStorage, policyFlags } from '../options/policy.js';
import { Progress } from '../progress.js';

const DEFAULT_LENGTHS = [256, 512, 1024, 2048];
const DEFAULT_DEPTHS = [0, 0.25, 0.5, 0.75, 1];

const flags = {
  lengths: { type: 'string', value: '<n,n,...>', help: 'prompt lengths in tokens', default: `${DEFAULT_LENGTHS.join(',')} (those within the context)`, group: 'Task' },
  depths: { type: 'string', value: '<d,d,...>', help: 'where the fact sits, 0 (first) to 1 (just before the question)', default: DEFAULT_DEPTHS.join(','), group: 'Task' },
  trials: { type: 'string', value: '<n>', help: 'prompts per length and depth', default: '4', group: 'Task' },
  seed: { type: 'string', value: '<n>', help: 'seed of the facts, codes and filler positions', default: '1', group: 'Task' },
  ...evalDataFlags,
  ...modelFlags,
  ...backendFlags,
  ...policyFlags,
  ...kvDtypeFlags,
  ...formatFlags,
  ...verboseFlag,
  ...quietFlag,
} as const;

async function run(f: Flags): Promise<void> {
  const format = formatOf(f);
  const data = evalData(f);
  const cache = cacheRequest(f);
  const storage = kvStorage(f);
  checkPlannerStorage(cache, storage);
  const lengthsFlag = list(f, 'lengths', (s) => intValue(s, 'lengths', 32));
  const depths = list(f, 'depths', (s) => numValue(s, 'depths', 0, 1)) ?? DEFAULT_DEPTHS;
  const trials = int(f, 'trials', 1) ?? 4;
  const seed = int(f, 'seed', 0) ?? 1;
  const backendReq = backendRequest(f);
  const choice = modelChoice(f);
  const quiet = bool(f, 'quiet');

  const loaded = await loadCliModel(choice, quiet);
  const ctx = loaded.config.contextLength;
  const lengths = lengthsFlag ?? DEFAULT_LENGTHS.filter((n) => n <= ctx);
  for (const n of lengths) if (n > ctx) throw new UsageError(`--lengths ${n} exceeds the model's context of ${ctx}`);
  if (lengths.length === 0) throw new UsageError(`the model's context of ${ctx} is under every default length: give --lengths`);
  const haystack = new Haystack(loaded.tokenizer, data.text);
  const longest = Math.max(...lengths);
  if (haystack.tokens.length < longest) throw new UsageError(`--data: the text has ${haystack.tokens.length} tokens, too few for ${longest}-token prompts; give a longer text or shorter --lengths`);
  let policy: CachePolicyOptions | undefined = cache.policy;
  let kv = storage;
  if (cache.maxBytes !== undefined) {
    const planned = chooseCacheForBytes(loaded.config, { maxBytes: cache.maxBytes, context: longest });
    policy = planned.policy;
    kv = { kvDtype: planned.kvDtype, ...(planned.kivi ? { kivi: planned.kivi } : {}) };
  }

  const { backend, info } = await openCliBackend(backendReq);
  using _backend = backend;
  using model = LlamaModel.load(backend, loaded);
  if (verbose(f)) note(`model ${choice.label}; backend ${describeBackend(info)}; data ${describeData(data.description)}`);
  const progress = new Progress('eval needle', lengths.length * depths.length * trials, { quiet });
  let res;
  try {
    res = await runNeedle(model, loaded.tokenizer, haystack, {
      lengths,
      depths,
      trials,
      seed,
      session: { ...kv, ...(policy ? { policy } : {}) },
      onPrompt: (done, total) => progress.tick(`${done}/${total} prompts`),
    });
  } catch (e) {
    if (e instanceof TextTooShortError) throw new UsageError(`--data: ${e.message}; give a longer text or shorter --lengths`);
    throw e;
  }
  progress.finish();
  if (format === 'json') {
    writeJson({ model: choice.label, data: data.description, ...res, lengths, depths, trials, seed, kvDtype: kv.kvDtype ?? 'f32', ...(policy ? { policy: describePolicy(policy) } : {}), backend: info });
    return;
  }
  const cell = (l: number, d: number) => res.grid.find((c) => c.length === l && c.depth === d)!;
  const rows = [`| length | ${depths.map((d) => `depth ${d}`).join(' | ')} |`, `| ---: | ${depths.map(() => '---:').join(' | ')} |`];
  for (const l of lengths) rows.push(`| ${l} | ${depths.map((d) => `${(cell(l, d).accuracy * 100).toFixed(0)}%`).join(' | ')} |`);
  process.stdout.write(`data: ${describeData(data.description)}\n${rows.join('\n')}\n`);
  process.stdout.write(`accuracy ${(res.accuracy * 100).toFixed(1)}% over ${res.grid.reduce((s, c) => s + c.trials, 0)} prompts; cache at ${longest} tokens: ${Math.round(res.bytesAtLongest)} bytes\n`);
}

export const evalNeedleCommand: Command = {
  name: 'eval needle',
  summary: 'needle-in-a-haystack retrieval accuracy per prompt length and fact depth, under a policy and KV dtype',
  flags,
  details: `Each prompt hides "The secret code of the <color> <object> is <5 digits>." in filler text and
asks for it at the end; the answer is read greedily. The shipped models were trained on such facts.

Examples:
  kvkit eval needle --lengths 512 --depths 0,0.5,1 --trials 2
  kvkit eval needle --lengths 2048 --policy snapkv --budget 128 --format json`,
  run,
};
