import type { CachePolicyOptions } from '@kvkit/cache';
import { chooseCacheForBytes, kvSourceTrainingFree } from '@kvkit/cache';
import type { ComparedScores, Scores } from '@kvkit/eval';
import { compareWithBaseline, mergeCompared, mergeScores, scoreBaseline, TextTooShortError, textWindows } from '@kvkit/eval';
import type { LoadedModel } from '@kvkit/loaders';
import type { SessionOptions } from '@kvkit/runtime';
import { evaluateNll, LlamaModel } from '@kvkit/runtime';
import type { Flags } from '../args/flags.js';
import { bool, int, intValue, list } from '../args/values.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { backendFlags, backendRequest, describeBackend, openCliBackend } from '../options/backend.js';
import { describeData, evalData, evalDataFlags } from '../options/eval-data.js';
import { loadCliModel, modelChoice, modelFlags } from '../options/model.js';
import { formatFlags, formatOf, note, quietFlag, verbose, verboseFlag, writeJson } from '../options/output.js';
import { cacheRequest, checkPlannerStorage, describePolicy, kvDtypeFlags, kvStorage, policyFlags } from '../options/policy.js';
import { Progress } from '../progress.js';

const flags = {
  ...evalDataFlags,
  chars: { type: 'string', value: '<n>', help: 'characters of the text to tokenize', default: '60000', group: 'Data' },
  windows: { type: 'string', value: '<n>', help: 'windows to score (fewer when the text runs out)', default: '20', group: 'Data' },
  'window-len': { type: 'string', value: '<tokens>', help: 'tokens per window, BOS included', default: "512 or the model's context if shorter", group: 'Data' },
  prefill: { type: 'string', value: '<tokens>', help: 'tokens of each window fed as the prompt; the rest are decoded one by one', default: 'window-len - 1; half the window with a policy or --kv-dtype', group: 'Data' },
  compare: { type: 'boolean', help: 'also score the full f32 cache: ΔPPL, KL(full || this) and top-1 agreement', group: 'Data' },
  'share-layers': { type: 'string', value: '<l,l,...>', help: 'training-free sharing: these layers reuse layer l-1\'s K/V', default: 'none', group: 'Cache policy' },
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
  const chars = int(f, 'chars', 1) ?? 60000;
  const count = int(f, 'windows', 1) ?? 20;
  const lenFlag = int(f, 'window-len', 3);
  const prefillFlag = int(f, 'prefill', 1);
  const compare = bool(f, 'compare');
  const shareFlag = list(f, 'share-layers', (s) => intValue(s, 'share-layers', 1));
  const backendReq = backendRequest(f);
  const choice = modelChoice(f);
  const quiet = bool(f, 'quiet');

  const loaded = await loadCliModel(choice, quiet);
  const { config } = loaded;
  const len = lenFlag ?? Math.min(512, config.contextLength);
  if (len > config.contextLength) throw new UsageError(`--window-len ${len} exceeds the model's context of ${config.contextLength}`);
  const prefill = prefillFlag ?? (cache.policy || cache.maxBytes !== undefined || storage.kvDtype ? Math.floor(len / 2) : len - 1);
  if (prefill > len - 1) throw new UsageError(`--prefill must be at most --window-len - 1 (${len - 1}), got ${prefill}`);
  for (const l of shareFlag ?? []) if (l >= config.nLayers) throw new UsageError(`--share-layers ${l}: the model has layers 0..${config.nLayers - 1}, and layer 0 has none before it`);
  let windows: number[][];
  try {
    windows = textWindows(loaded.tokenizer, data.text, { count, length: len, chars });
  } catch (e) {
    if (e instanceof TextTooShortError) throw new UsageError(`--data: ${e.message}; give a longer text, more --chars or a shorter --window-len`);
    throw e;
  }
  const variant: LoadedModel = shareFlag ? { ...loaded, config: { ...config, kvSource: kvSourceTrainingFree(config.nLayers, shareFlag) } } : loaded;
  let policy: CachePolicyOptions | undefined = cache.policy;
  let kv = storage;
  if (cache.maxBytes !== undefined) {
    const planned = chooseCacheForBytes(variant.config, { maxBytes: cache.maxBytes, context: len });
    policy = planned.policy;
    kv = { kvDtype: planned.kvDtype, ...(planned.kivi ? { kivi: planned.kivi } : {}) };
  }
  const session: SessionOptions = { ...kv, ...(policy ? { policy } : {}) };

  const { backend, info } = await openCliBackend(backendReq);
  using _backend = backend;
  using model = LlamaModel.load(backend, variant);
  using full = compare ? LlamaModel.load(backend, loaded) : undefined;
  if (verbose(f)) note(`model ${choice.label}; backend ${describeBackend(info)}; data ${describeData(data.description)}`);
  const progress = new Progress(`eval ppl${compare ? ' --compare' : ''}`, windows.length, { quiet });
  const scored: Scores[] = [];
  const compared: ComparedScores[] = [];
  for (const [i, w] of windows.entries()) {
    progress.update(`window ${i + 1}/${windows.length}`);
    if (full) compared.push(await compareWithBaseline(model, [w], await scoreBaseline(full, [w], { prefill }), { prefill, session }));
    else {
      const r = await evaluateNll(model, [w], { prefill, session });
      scored.push({ tokens: r.tokens, nll: r.nll, perplexity: r.perplexity });
    }
    progress.tick();
  }
  progress.finish();
  const res = full ? mergeCompared(compared) : mergeScores(scored);
  const cmp = full ? (res as ComparedScores) : undefined;
  if (format === 'json') {
    writeJson({
      model: choice.label,
      data: data.description,
      windows: windows.length,
      windowLen: len,
      prefill,
      tokens: res.tokens,
      nll: res.nll,
      perplexity: res.perplexity,
      ...(cmp ? { baseline: cmp.baseline, deltaPpl: cmp.deltaPpl, kl: cmp.kl, top1Agreement: cmp.top1Agreement } : {}),
      kvDtype: kv.kvDtype ?? 'f32',
      ...(policy ? { policy: describePolicy(policy) } : {}),
      ...(shareFlag ? { shareLayers: shareFlag, kvSource: variant.config.kvSource } : {}),
      backend: info,
    });
    return;
  }
  process.stdout.write(`data: ${describeData(data.description)}; ${windows.length} windows of ${len} tokens, prefill ${prefill}\n`);
  process.stdout.write(`${res.tokens} tokens: NLL ${res.nll.toFixed(4)} nats/token, perplexity ${res.perplexity.toFixed(3)}\n`);
  if (cmp) process.stdout.write(`vs the full cache (perplexity ${cmp.baseline.perplexity.toFixed(3)}): ΔPPL ${cmp.deltaPpl.toFixed(4)}, KL ${cmp.kl.toExponential(3)}, top-1 agreement ${(cmp.top1Agreement * 100).toFixed(2)}%\n`);
}

export const evalPplCommand: Command = {
  name: 'eval ppl',
  summary: 'perplexity on held-out text under a policy, KV dtype or layer sharing; --compare against the full cache',
  flags,
  details: `Scores the held-out TinyStories text shipped with @kvkit/eval unless --data names a file; the
output states the data and split scored.

Examples:
  kvkit eval ppl --windows 4
  kvkit eval ppl --policy snapkv --budget 64 --compare
  kvkit eval ppl --data notes.txt --split all --kv-dtype int8 --compare --format json`,
  run,
};
