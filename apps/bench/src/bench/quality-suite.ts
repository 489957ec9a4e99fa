// Suite `quality`: what each policy x budget x KV dtype costs against the full f32 cache on stories260K:
// perplexity, ΔPPL, KL(full || policy) and top-1 agreement over the decode part of TinyStories / WikiText windows.
import { existsSync, readFileSync } from 'node:fs';
import type { CachePolicyOptions, KvDtype, PolicyInput, PolicyKind } from '@kvkit/cache';
import { KIVI_DEFAULTS } from '@kvkit/cache';
import { evaluateNll, LlamaModel } from '@kvkit/runtime';
import type { SessionOptions } from '@kvkit/runtime';
import { CpuBackend, KvkitError } from '@kvkit/tensor';
import { compareLogProbs, logSoftmax } from '@kvkit/eval';
import { POLICY_KINDS, UsageError } from 'kvkit/commands';
import { stories260k, stories260kReference, tinyStories, wikiText } from '../fixtures.js';
import { openModel } from '../model-source.js';
import { runGeneration } from '../run-generation.js';
import { fileWindows } from '../text-windows.js';
import type { Check, Table } from './report.js';
import { benchEnv } from './report.js';
import type { Suite } from './suite.js';
import { intItem, listArg, oneOfItem, str } from './suite.js';
import { barChart, lineChart } from './svg.js';

const DATASETS = { tinystories: tinyStories, wikitext: wikiText } as const;
type Dataset = keyof typeof DATASETS;
const ALL_DTYPES: readonly KvDtype[] = ['f32', 'f16', 'bf16', 'int8', 'kivi4', 'kivi2'];

export interface QualityRow {
  readonly dataset: Dataset;
  readonly policy: PolicyKind;
  /** Tokens per layer; null for the full cache. */
  readonly budget: number | null;
  readonly kvDtype: KvDtype;
  readonly tokens: number;
  readonly perplexity: number;
  readonly deltaPpl: number;
  readonly kl: number;
  readonly top1Agreement: number;
  readonly error?: string;
}

/** The policy at a budget as the bench runs it: reference defaults; `window` gets a window of the budget. */
export function benchPolicy(kind: PolicyKind, budget: number | null): CachePolicyOptions {
  if (kind === 'full' || budget === null) return { policy: { kind: 'full' }, budget: { ratio: 1 } };
  const policy: PolicyInput = kind === 'window' ? { kind, window: budget } : ({ kind } as PolicyInput);
  return { policy, budget: { budget } };
}

export const qualitySuite: Suite = {
  name: 'quality',
  summary: 'PPL, ΔPPL, KL and top-1 agreement against the full f32 cache per policy, budget and KV dtype',
  help: `kvkit bench quality [--policies ${POLICY_KINDS.join(',')}] [--budgets 32,64,128,256] [--kv-dtypes f32,f16,int8,kivi4,kivi2]
               [--datasets tinystories,wikitext] [--windows 3] [--window-len 512] [--prefill len/2] [--gen-tokens 256] [--model <m>]`,
  options: {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    policies: { type: 'string' },
    budgets: { type: 'string' },
    'kv-dtypes': { type: 'string' },
    datasets: { type: 'string' },
    windows: { type: 'string' },
    'window-len': { type: 'string' },
    prefill: { type: 'string' },
    'gen-tokens': { type: 'string' },
  },
  async run(a, ctx) {
    const t0 = performance.now();
    const q = ctx.quick;
    const policies = listArg(a.policies, 'policies', POLICY_KINDS, oneOfItem(POLICY_KINDS));
    const budgets = listArg(a.budgets, 'budgets', q ? [32, 64] : [32, 64, 128, 256], intItem(1));
    const dtypes = listArg<KvDtype>(a['kv-dtypes'], 'kv-dtypes', q ? ['f32', 'kivi4'] : ['f32', 'f16', 'int8', 'kivi4', 'kivi2'], oneOfItem(ALL_DTYPES));
    const datasets = listArg(a.datasets, 'datasets', ['tinystories', 'wikitext'] as Dataset[], oneOfItem(Object.keys(DATASETS) as Dataset[]));
    const nWindows = listArg(a.windows, 'windows', [q ? 1 : 3], intItem(1))[0]!;
    const genTokens = listArg(a['gen-tokens'], 'gen-tokens', [q ? 128 : 256], intItem(1))[0]!;
    const loaded = await openModel(str(a, 'model'), str(a, 'tokenizer'), stories260k());
    const len = listArg(a['window-len'], 'window-len', [Math.min(q ? 256 : 512, loaded.config.contextLength)], intItem(3))[0]!;
    const prefill = listArg(a.prefill, 'prefill', [Math.floor(len / 2)], intItem(1))[0]!;
    if (len > loaded.config.contextLength) throw new UsageError(`--window-len ${len} exceeds the context of ${loaded.config.contextLength}`);
    if (prefill >= len - 1) throw new UsageError(`--prefill ${prefill} leaves no decode step in windows of ${len}`);
    const windows = Object.fromEntries(datasets.map((d) => [d, fileWindows(loaded.tokenizer, DATASETS[d](), 200_000, nWindows, len)])) as Record<Dataset, number[][]>;

    using backend = new CpuBackend();
    using model = LlamaModel.load(backend, loaded);

    // Baseline: the full f32 cache. Only the decode rows are scored (the prompt's rows see every token under any policy).
    const baseline = {} as Record<Dataset, { rows: Float64Array[][]; perplexity: number }>;
    const configs: { policy: PolicyKind; budget: number | null; kvDtype: KvDtype }[] = [];
    const mainDtype: KvDtype = dtypes.includes('f32') ? 'f32' : dtypes[0]!;
    const dtypeBudget = budgets.includes(64) ? 64 : budgets[0]!;
    for (const kvDtype of dtypes) {
      for (const policy of policies) {
        if (policy === 'full') configs.push({ policy, budget: null, kvDtype });
        // Quick mode: the other dtypes only under the full cache and SnapKV at one budget.
        else if (q && kvDtype !== mainDtype && policy !== 'snapkv') continue;
        else for (const budget of q && kvDtype !== mainDtype ? [dtypeBudget] : budgets) configs.push({ policy, budget, kvDtype });
      }
    }
    const progress = ctx.progress('bench quality', datasets.length * (configs.length + 1) + dtypes.length);
    for (const d of datasets) {
      progress.update(`${d} baseline`);
      const rows: Float64Array[][] = windows[d].map(() => []);
      let nll = 0;
      let n = 0;
      await evaluateNll(model, windows[d], {
        prefill,
        onLogits: (w, i, row) => {
          if (i < prefill) return;
          const p = logSoftmax(row);
          rows[w]![i] = p;
          nll -= p[windows[d][w]![i + 1]!]!;
          n++;
        },
      });
      baseline[d] = { rows, perplexity: Math.exp(nll / n) };
      progress.tick();
    }

    const results: QualityRow[] = [];
    for (const d of datasets) {
      for (const c of configs) {
        progress.update(`${d} ${c.policy}${c.budget === null ? '' : `@${c.budget}`} ${c.kvDtype}`);
        const session: SessionOptions = { policy: benchPolicy(c.policy, c.budget), kvDtype: c.kvDtype, ...(c.kvDtype.startsWith('kivi') ? { kivi: KIVI_DEFAULTS } : {}) };
        let nll = 0;
        let kl = 0;
        let agree = 0;
        let n = 0;
        try {
          await evaluateNll(model, windows[d], {
            session,
            prefill,
            onLogits: (w, i, row) => {
              if (i < prefill) return;
              const p = baseline[d].rows[w]![i]!;
              const lq = logSoftmax(row);
              const c = compareLogProbs(p, lq);
              kl += c.kl;
              if (c.agree) agree++;
              nll -= lq[windows[d][w]![i + 1]!]!;
              n++;
            },
          });
          const perplexity = Math.exp(nll / n);
          results.push({ dataset: d, ...c, tokens: n, perplexity, deltaPpl: perplexity - baseline[d].perplexity, kl: kl / n, top1Agreement: agree / n });
        } catch (e) {
          if (!(e instanceof KvkitError)) throw e;
          results.push({ dataset: d, ...c, tokens: 0, perplexity: NaN, deltaPpl: NaN, kl: NaN, top1Agreement: NaN, error: e.code });
        }
        progress.tick();
      }
    }

    // Generation: greedy from BOS, the full-cache policy against no policy, in every dtype.
    const prompt = [loaded.config.bosId];
    const gen: { kvDtype: KvDtype; baseline: number[]; full: number[]; same: boolean }[] = [];
    for (const kvDtype of dtypes) {
      progress.update(`generation ${kvDtype}`);
      const storage = { kvDtype, ...(kvDtype.startsWith('kivi') ? { kivi: KIVI_DEFAULTS } : {}) };
      const opts = { maxTokens: genTokens, stopTokens: [] as number[] };
      const base = await runGeneration(model, prompt, { ...opts, session: storage });
      const full = await runGeneration(model, prompt, { ...opts, session: { ...storage, policy: benchPolicy('full', null) } });
      gen.push({ kvDtype, baseline: base.generated, full: full.generated, same: base.generated.length === full.generated.length && base.generated.every((t, i) => t === full.generated[i]) });
      progress.tick();
    }
    progress.finish();

    const refPath = stories260kReference();
    const isDefault = str(a, 'model') === undefined;
    const reference = isDefault && existsSync(refPath) ? (JSON.parse(readFileSync(refPath, 'utf8')) as { generated_ids: number[] }).generated_ids : undefined;
    const f32gen = gen.find((g) => g.kvDtype === 'f32');

    const checks: Check[] = gen.map((g) => ({
      name: `full-cache policy = baseline tokens (${g.kvDtype})`,
      ok: g.same,
      detail: `${genTokens} greedy tokens from BOS with policy full vs no policy: ${g.same ? 'identical' : `differ at token ${g.baseline.findIndex((t, i) => t !== g.full[i])}`}`,
    }));
    if (reference && f32gen) {
      const m = Math.min(reference.length, f32gen.baseline.length);
      const same = f32gen.baseline.slice(0, m).every((t, i) => t === reference[i]);
      checks.push({ name: 'baseline = llama2.c reference (f32)', ok: same, detail: `first ${m} greedy tokens ${same ? 'equal' : 'differ from'} reference_greedy.json` });
    }
    for (const d of datasets) {
      const full = results.find((r) => r.dataset === d && r.policy === 'full' && r.kvDtype === 'f32');
      if (full) checks.push({ name: `full policy = full cache on ${d} (f32)`, ok: full.kl < 1e-9 && full.top1Agreement === 1, detail: `KL ${full.kl.toExponential(2)}, top-1 ${(full.top1Agreement * 100).toFixed(2)}%` });
    }

    const tables: Table[] = [];
    const cell = (r: QualityRow | undefined, f: (r: QualityRow) => string) => (r === undefined ? '' : r.error ? r.error : f(r));
    const pick = (d: Dataset, p: PolicyKind, b: number | null, k: KvDtype) => results.find((r) => r.dataset === d && r.policy === p && r.kvDtype === k && (p === 'full' || r.budget === b));
    for (const d of datasets) {
      tables.push({
        title: `${d}: ΔPPL / KL / top-1 vs the full f32 cache, KV dtype ${mainDtype} (baseline PPL ${baseline[d].perplexity.toFixed(3)})`,
        columns: ['policy', ...budgets.map((b) => `budget ${b}`)],
        rows: policies.map((p) => [p, ...budgets.map((b) => cell(pick(d, p, b, mainDtype), (r) => `${r.deltaPpl >= 0 ? '+' : ''}${r.deltaPpl.toFixed(3)} / ${r.kl.toExponential(1)} / ${(r.top1Agreement * 100).toFixed(1)}%`))]),
        note: `Windows of ${len} tokens (${windows[d].length} of them), ${prefill} as the prompt, the rest decoded one token at a time; metrics over the ${windows[d].length * (len - 1 - prefill)} decoded tokens.`,
      });
    }
    if (dtypes.length > 1) {
      const b = dtypeBudget;
      for (const d of datasets) {
        tables.push({
          title: `${d}: KL vs the full f32 cache per KV dtype (budget ${b}; full = whole cache)`,
          columns: ['policy', ...dtypes],
          rows: policies.map((p) => [p, ...dtypes.map((k) => cell(pick(d, p, b, k), (r) => `${r.kl.toExponential(2)} (${(r.top1Agreement * 100).toFixed(1)}%)`))]),
        });
      }
    }
    tables.push({
      title: 'Every run',
      columns: ['dataset', 'policy', 'budget', 'KV dtype', 'tokens', 'PPL', 'ΔPPL', 'KL', 'top-1'],
      rows: results.map((r) => [r.dataset, r.policy, r.budget ?? 'all', r.kvDtype, r.tokens, r.error ?? r.perplexity, r.deltaPpl, r.kl, r.top1Agreement]),
      reportOnly: true,
    });

    const plots = datasets.flatMap((d) => {
      const series = (f: (r: QualityRow) => number) =>
        policies.map((p) => ({
          name: p,
          points: budgets.map((b) => [b, ((r) => (r && !r.error ? f(r) : NaN))(pick(d, p, b, mainDtype))] as [number, number]),
          ...(p === 'full' ? { dashed: true } : {}),
        }));
      return [
        {
          file: `kl-vs-budget-${d}.svg`,
          title: `${d}: KL vs budget`,
          svg: lineChart({ title: `${d}: KL(full || policy) vs budget (${mainDtype})`, xLabel: 'budget (tokens per layer)', yLabel: 'KL (nats/token, log)', xLog: true, yLog: true, series: series((r) => Math.max(r.kl, 1e-7)).filter((s) => s.name !== 'full') }),
        },
        {
          file: `top1-vs-budget-${d}.svg`,
          title: `${d}: top-1 agreement vs budget`,
          svg: lineChart({ title: `${d}: top-1 agreement with the full cache vs budget (${mainDtype})`, xLabel: 'budget (tokens per layer)', yLabel: 'top-1 agreement (%)', xLog: true, yInclude: [100], series: series((r) => r.top1Agreement * 100) }),
        },
        {
          file: `dppl-vs-budget-${d}.svg`,
          title: `${d}: ΔPPL vs budget`,
          svg: lineChart({ title: `${d}: ΔPPL vs budget (${mainDtype}, baseline ${baseline[d].perplexity.toFixed(2)})`, xLabel: 'budget (tokens per layer)', yLabel: 'ΔPPL', xLog: true, yInclude: [0], series: series((r) => r.deltaPpl) }),
        },
        ...(dtypes.length > 1
          ? [
              {
                file: `kl-by-dtype-${d}.svg`,
                title: `${d}: KL per KV dtype`,
                svg: barChart({
                  title: `${d}: KL vs the full f32 cache per KV dtype (budget ${budgets.includes(64) ? 64 : budgets[0]})`,
                  yLabel: 'KL (nats/token, log)',
                  yLog: true,
                  categories: policies,
                  series: dtypes.map((k) => ({ name: k, values: policies.map((p) => Math.max(pick(d, p, budgets.includes(64) ? 64 : budgets[0]!, k)?.kl ?? NaN, 1e-9)) })),
                }),
              },
            ]
          : []),
      ];
    });

    return {
      suite: 'quality',
      quick: q,
      env: benchEnv(),
      params: { model: str(a, 'model') ?? 'stories260K (default)', policies, budgets, kvDtypes: dtypes, datasets, windows: nWindows, windowLen: len, prefill, genTokens, kivi: KIVI_DEFAULTS },
      durationMs: performance.now() - t0,
      checks,
      tables,
      plots,
      data: { baseline: Object.fromEntries(datasets.map((d) => [d, { perplexity: baseline[d].perplexity, windows: windows[d].length }])), rows: results, generation: gen.map((g) => ({ kvDtype: g.kvDtype, same: g.same, tokens: g.full.length })) },
      notes: [
        'Baseline: the full cache in f32 without a policy. Each run feeds every window\'s prompt in one chunk (the policy compresses it) and then decodes the rest one token at a time (decode-time eviction acts); ΔPPL, KL(full || run) and top-1 agreement are taken over the decoded tokens only. Policies use their reference defaults (SnapKV/PyramidKV/Ada-KV/DynamicKV: observation window 32; StreamingLLM: 4 sinks); `window` uses a window of the budget.',
      ],
    };
  },
};
