import type { LoadedModel } from '@kvkit/loaders';
import { kvSourceTrainingFree } from '@kvkit/cache';
import { evaluateNll, LlamaModel } from '@kvkit/runtime';
import type { SessionOptions } from '@kvkit/runtime';
import { CpuBackend } from '@kvkit/tensor';
import { intArg, parse, UsageError } from '../args.js';
import { openModel } from '../model-source.js';
import { kvDtypeFromArgs, kvDtypeHelp, kvDtypeOptions, policyFromArgs, policyHelp, policyOptions } from '../policy-args.js';
import { TINYSTORIES, textWindows } from '../text-windows.js';
import { compareLogProbs, logSoftmax } from '../logit-compare.js';

export const evalPplHelp = `kvkit eval ppl [--model <m>] [--data <text file>] [--held-out] [--chars 60000] [--windows 20] [--window-len 512]
               [--prefill N] [--share-layers 1,3] [--compare] [--format text|json]
               ${policyHelp}
               ${kvDtypeHelp}`;

/**
 * Perplexity on held-out text, optionally under a policy or training-free layer sharing; with
 * `--compare`, also KL(full || this) and top-1 agreement against the full-cache run of the same model.
 */
export async function evalPplCommand(argv: string[]): Promise<void> {
  const a = parse(argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    data: { type: 'string' },
    'held-out': { type: 'boolean', default: false },
    chars: { type: 'string' },
    windows: { type: 'string' },
    'window-len': { type: 'string' },
    prefill: { type: 'string' },
    'share-layers': { type: 'string' },
    compare: { type: 'boolean', default: false },
    format: { type: 'string' },
    ...policyOptions,
    ...kvDtypeOptions,
  });
  const loaded = await openModel(a.model, a.tokenizer);
  const len = intArg(a['window-len'], 'window-len', Math.min(512, loaded.config.contextLength), 2);
  if (len > loaded.config.contextLength) throw new UsageError(`--window-len ${len} exceeds the context of ${loaded.config.contextLength}`);
  const windows = textWindows(loaded.tokenizer, a.data ?? TINYSTORIES, intArg(a.chars, 'chars', 60000, 1), intArg(a.windows, 'windows', 20, 1), len, a['held-out']);
  const policy = policyFromArgs(a);
  const prefill = intArg(a.prefill, 'prefill', policy || a['kv-dtype'] ? Math.floor(len / 2) : len - 1, 1);
  let variant: LoadedModel = loaded;
  if (a['share-layers']) {
    const layers = a['share-layers'].split(',').map((s) => intArg(s, 'share-layers', 0, 1));
    variant = { ...loaded, config: { ...loaded.config, kvSource: kvSourceTrainingFree(loaded.config.nLayers, layers) } };
  }
  using backend = new CpuBackend();
  const storage = kvDtypeFromArgs(a);
  const session: SessionOptions = { ...(policy ? { policy } : {}), ...storage };
  using model = LlamaModel.load(backend, variant);
  let baseline: Float64Array[][] | undefined;
  let base: Awaited<ReturnType<typeof evaluateNll>> | undefined;
  if (a.compare) {
    using full = LlamaModel.load(backend, loaded);
    baseline = windows.map(() => []);
    base = await evaluateNll(full, windows, { prefill, onLogits: (w, i, row) => (baseline![w]![i] = logSoftmax(row)) });
  }
  let kl = 0;
  let agree = 0;
  const res = await evaluateNll(model, windows, {
    session,
    prefill,
    onLogits: (w, i, row) => {
      if (!baseline) return;
      const c = compareLogProbs(baseline[w]![i]!, logSoftmax(row));
      kl += c.kl;
      if (c.agree) agree++;
    },
  });
  const out = {
    windows: windows.length,
    windowLen: len,
    heldOut: a['held-out'],
    prefill,
    tokens: res.tokens,
    nll: res.nll,
    perplexity: res.perplexity,
    ...(base ? { baseline: { nll: base.nll, perplexity: base.perplexity }, deltaPpl: res.perplexity - base.perplexity, kl: kl / res.tokens, top1Agreement: agree / res.tokens } : {}),
    kvDtype: storage.kvDtype,
    ...(policy ? { policy: policy.policy.kind, budget: policy.budget } : {}),
    ...(a['share-layers'] ? { kvSource: variant.config.kvSource } : {}),
  };
  if (a.format === 'json') process.stdout.write(JSON.stringify(out) + '\n');
  else {
    process.stdout.write(`${out.tokens} tokens in ${out.windows} windows: NLL ${out.nll.toFixed(4)} nats/token, perplexity ${out.perplexity.toFixed(3)}\n`);
    if (base) process.stdout.write(`vs full cache: ΔPPL ${(out.deltaPpl ?? 0).toFixed(4)}, KL ${(out.kl ?? 0).toExponential(3)}, top-1 agreement ${((out.top1Agreement ?? 0) * 100).toFixed(2)}%\n`);
  }
}
