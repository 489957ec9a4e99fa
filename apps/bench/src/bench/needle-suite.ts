// Suite `needle`: retrieval on the project's own models (models/<variant>, tooling/train). Per sharing
// variant: KV bytes per token (live cache vs formula), held-out perplexity and full-cache needle accuracy
// (the MLKV paper's memory / quality trade-off at our scale); on one model, accuracy per policy x budget
// on long prompts and per length x depth with the full cache.
import { existsSync, readFileSync } from 'node:fs';
import type { PolicyKind } from '@kvkit/cache';
import { bytesPerToken } from '@kvkit/cache';
import { loadModel } from '@kvkit/loaders/node';
import type { Tokenizer } from '@kvkit/loaders';
import { evaluateNll, LlamaModel, Session } from '@kvkit/runtime';
import { createWasmCpuBackend } from '@kvkit/tensor';
import type { NeedleResult } from '@kvkit/eval';
import { Haystack, heldOutText, runNeedle } from '@kvkit/eval';
import { POLICY_KINDS, UsageError } from 'kvkit/commands';
import { MODELS_DIR } from '../model-source.js';
import { tinyStories } from '../fixtures.js';
import { fileWindows } from '../text-windows.js';
import { benchPolicy } from './quality-suite.js';
import type { Check, Table } from './report.js';
import { benchEnv } from './report.js';
import type { Suite } from './suite.js';
import { intItem, listArg, oneOfItem, str } from './suite.js';
import { lineChart } from './svg.js';

export const VARIANTS = ['mha', 'gqa', 'mqa', 'mlkv4', 'mlkv2', 'cla2', 'yoco'] as const;
const GRID_POLICIES: PolicyKind[] = ['streaming', 'h2o', 'snapkv', 'pyramidkv', 'adakv', 'dynamickv'];
const numItem = (s: string): number | undefined => (s !== '' && Number.isFinite(Number(s)) && Number(s) >= 0 && Number(s) <= 1 ? Number(s) : undefined);

export const needleSuite: Suite = {
  name: 'needle',
  summary: "the project's models: bytes, held-out perplexity and needle accuracy per sharing variant, policy and budget",
  help: `kvkit bench needle [--variants ${VARIANTS.join(',')}] [--model gqa] [--lengths 256,512,1024,2048] [--depths 0,0.25,0.5,0.75,1]
               [--trials 2] [--policies ${GRID_POLICIES.join(',')}] [--budgets 32,64,128,256] [--grid-length 2048] [--models <dir>]`,
  options: {
    variants: { type: 'string' },
    model: { type: 'string' },
    lengths: { type: 'string' },
    depths: { type: 'string' },
    trials: { type: 'string' },
    policies: { type: 'string' },
    budgets: { type: 'string' },
    'grid-length': { type: 'string' },
    models: { type: 'string' },
  },
  async run(a, ctx) {
    const t0 = performance.now();
    const q = ctx.quick;
    const dir = str(a, 'models') ?? MODELS_DIR;
    const variants = listArg(a.variants, 'variants', q ? ['gqa'] : VARIANTS.filter((v) => existsSync(`${dir}/${v}/config.json`)), oneOfItem(VARIANTS));
    const main = oneOfItem(VARIANTS)(str(a, 'model') ?? 'gqa');
    if (!main) throw new UsageError(`--model must be one of ${VARIANTS.join(', ')}`);
    const lengths = listArg(a.lengths, 'lengths', q ? [256] : [256, 512, 1024, 2048], intItem(64));
    const depths = listArg(a.depths, 'depths', q ? [0, 1] : [0, 0.25, 0.5, 0.75, 1], numItem);
    const trials = listArg(a.trials, 'trials', [q ? 1 : 2], intItem(1))[0]!;
    const policies = listArg<PolicyKind>(a.policies, 'policies', q ? ['streaming', 'snapkv'] : GRID_POLICIES, oneOfItem(POLICY_KINDS));
    const budgets = listArg(a.budgets, 'budgets', q ? [32] : [32, 64, 128, 256], intItem(1));
    const gridLength = listArg(a['grid-length'], 'grid-length', [q ? 256 : 2048], intItem(64))[0]!;
    for (const v of new Set([...variants, main])) {
      if (!existsSync(`${dir}/${v}/config.json`)) throw new UsageError(`no model ${dir}/${v}: train it with tooling/train/train.sh ${v}`);
    }
    const text = readFileSync(tinyStories(), 'utf8');
    using backend = await createWasmCpuBackend({ threads: 1 });
    const progress = ctx.progress('bench needle', variants.length * 2 + 2 + policies.length * budgets.length);
    const checks: Check[] = [];
    let haystack: Haystack | undefined;
    const hay = (tok: Tokenizer) => (haystack ??= new Haystack(tok, heldOutText(text)));

    // 1. Variants: bytes per token, held-out perplexity, full-cache accuracy.
    const rows: { variant: string; params: number; bytesPerToken: number; bytesAtLongest: number; perplexity: number; accuracy: number; result: NeedleResult }[] = [];
    for (const v of variants) {
      const loaded = await loadModel(`${dir}/${v}`);
      const tok = loaded.tokenizer!;
      using model = LlamaModel.load(backend, loaded);
      progress.update(`${v} perplexity`);
      const windows = fileWindows(tok, tinyStories(), 80_000, q ? 1 : 8, q ? 256 : 512, true);
      const ppl = await evaluateNll(model, windows);
      progress.tick();
      progress.update(`${v} needle`);
      const result = await runNeedle(model, tok, hay(tok), { lengths, depths, trials, seed: 1 });
      progress.tick();
      const c = loaded.config;
      using s = new Session(model);
      const formula = bytesPerToken({ kvSource: c.kvSource, nKvHeads: c.nKvHeads, headDim: c.headDim, kvDtype: 'f32' });
      checks.push({ name: `${v}: live bytes per token = formula`, ok: s.stats().bytesPerToken === formula, detail: `${s.stats().bytesPerToken} vs ${formula} (policies.md §13)` });
      rows.push({ variant: v, params: model.parameterCount, bytesPerToken: formula, bytesAtLongest: result.bytesAtLongest, perplexity: ppl.perplexity, accuracy: result.accuracy, result });
    }

    // 2. One model: policy x budget at the grid length, and the full cache per length x depth.
    const loaded = await loadModel(`${dir}/${main}`);
    const tok = loaded.tokenizer!;
    using model = LlamaModel.load(backend, loaded);
    progress.update(`${main} full cache`);
    const full = rows.find((r) => r.variant === main)?.result ?? (await runNeedle(model, tok, hay(tok), { lengths, depths, trials, seed: 1 }));
    progress.tick();
    const gridOpts = { lengths: [gridLength], depths, trials, seed: 2 };
    progress.update(`${main} baseline at ${gridLength}`);
    const base = await runNeedle(model, tok, hay(tok), gridOpts);
    const fullPolicy = await runNeedle(model, tok, hay(tok), { ...gridOpts, session: { policy: benchPolicy('full', null) } });
    progress.tick();
    checks.push({ name: `${main}: full policy = no policy`, ok: fullPolicy.grid.every((c, i) => c.correct === base.grid[i]!.correct), detail: `accuracy ${fullPolicy.accuracy} vs ${base.accuracy} on the same ${gridLength}-token prompts` });
    const grid: { policy: PolicyKind; budget: number; accuracy: number; bytes: number }[] = [];
    for (const p of policies) {
      for (const b of budgets) {
        progress.update(`${main} ${p}@${b}`);
        const r = await runNeedle(model, tok, hay(tok), { ...gridOpts, session: { policy: benchPolicy(p, b) } });
        grid.push({ policy: p, budget: b, accuracy: r.accuracy, bytes: r.bytesAtLongest });
        progress.tick();
      }
    }
    progress.finish();

    const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
    const tables: Table[] = [
      {
        title: 'Sharing variants: KV bytes per token vs held-out perplexity vs needle accuracy (full f32 cache)',
        columns: ['variant', 'parameters', 'KV bytes/token', `KV bytes after a ${Math.max(...lengths)}-token prompt`, 'held-out PPL', 'needle accuracy'],
        rows: rows.map((r) => [r.variant, r.params, r.bytesPerToken, Math.round(r.bytesAtLongest), +r.perplexity.toFixed(3), pct(r.accuracy)]),
        note: `Needle: ${lengths.join('/')} tokens x depths ${depths.join('/')} x ${trials} prompts each; PPL: ${q ? 1 : 8} held-out TinyStories windows of ${q ? 256 : 512}. YOCO's self-decoder layers hold only their window, so its bytes after a long prompt are below bytes/token x length.`,
      },
      {
        title: `${main}: needle accuracy per policy and budget (tokens per layer), ${gridLength}-token prompts; full cache ${pct(base.accuracy)}`,
        columns: ['policy', ...budgets.map((b) => `budget ${b}`)],
        rows: policies.map((p) => [p, ...budgets.map((b) => pct(grid.find((g) => g.policy === p && g.budget === b)!.accuracy))]),
      },
      {
        title: `${main}: full-cache needle accuracy per prompt length and depth`,
        columns: ['length', ...depths.map((d) => `depth ${d}`)],
        rows: lengths.map((l) => [l, ...depths.map((d) => pct(full.grid.find((c) => c.length === l && c.depth === d)!.accuracy))]),
      },
    ];
    const plots = [
      {
        file: 'needle-vs-budget.svg',
        title: `${main}: needle accuracy vs budget`,
        svg: lineChart({
          title: `${main}: needle accuracy vs budget (${gridLength}-token prompts)`,
          xLabel: 'budget (tokens per layer)',
          yLabel: 'accuracy (%)',
          xLog: true,
          yInclude: [0, 100],
          hLines: [{ y: base.accuracy * 100, label: 'full cache' }],
          series: policies.map((p) => ({ name: p, points: budgets.map((b) => [b, grid.find((g) => g.policy === p && g.budget === b)!.accuracy * 100] as [number, number]) })),
        }),
      },
      {
        file: 'variants-tradeoff.svg',
        title: 'KV bytes per token vs needle accuracy and perplexity',
        svg: lineChart({
          title: 'Sharing variants: needle accuracy vs KV bytes per token',
          xLabel: 'KV bytes per token (log)',
          yLabel: 'needle accuracy (%)',
          xLog: true,
          yInclude: [0, 100],
          series: rows.map((r) => ({ name: `${r.variant} (ppl ${r.perplexity.toFixed(2)})`, points: [[r.bytesPerToken, r.accuracy * 100] as [number, number]] })),
        }),
      },
    ];
    return {
      suite: 'needle',
      quick: q,
      env: benchEnv(),
      params: { models: dir, variants, model: main, lengths, depths, trials, policies, budgets, gridLength, backend: 'cpu-wasm (1 thread)' },
      durationMs: performance.now() - t0,
      checks,
      tables,
      plots,
      data: { variants: rows.map(({ result, ...r }) => ({ ...r, grid: result.grid })), policyGrid: grid, fullCache: full.grid, baselineAtGridLength: base.accuracy },
      notes: [
        'A prompt is held-out TinyStories text cut at sentence boundaries, one fact " The secret code of the <color> <object> is <5 digits>." at a depth, and the question; correct = the greedy answer starts with the code. Policies use their reference defaults (observation window 32 for SnapKV/PyramidKV/Ada-KV/DynamicKV, 4 sinks for StreamingLLM) and compress the prompt; the answer is decoded under the policy.',
      ],
    };
  },
};
