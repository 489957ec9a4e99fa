// Suite `speed`: prefill tok/s, decode tok/s and time to first token vs context length, per policy (fixed
// budget) and with the full cache, on random-weight Llama models in stories15M / stories110M shapes (F32, Q8_0).
import type { PolicyKind } from '@kvkit/cache';
import { loadModel } from '@kvkit/loaders/node';
import { LlamaModel } from '@kvkit/runtime';
import { POLICY_KINDS } from 'kvkit/commands';
import type { BenchBackend } from '../backend-choice.js';
import { BENCH_BACKENDS, openBenchBackend } from '../backend-choice.js';
import { ensureRandomModels, SHAPES, WEIGHT_TYPES } from './models.js';
import type { WeightType } from './models.js';
import { benchPolicy } from './quality-suite.js';
import type { Check, Table } from './report.js';
import { benchEnv, median } from './report.js';
import type { Suite } from './suite.js';
import { intItem, listArg, oneOfItem } from './suite.js';
import { lineChart } from './svg.js';
import type { TimedRun } from './timing.js';
import { agreement, kvkitTimedRun, randomPrompt } from './timing.js';

/** 'full-cache' = no policy (contiguous cache); the others at the fixed budget. */
export type SpeedPolicy = 'full-cache' | PolicyKind;
const SPEED_POLICIES: readonly SpeedPolicy[] = ['full-cache', ...POLICY_KINDS];

export interface SpeedRow {
  readonly shape: string;
  readonly weights: WeightType;
  readonly params: number;
  readonly policy: SpeedPolicy;
  readonly budget: number | null;
  readonly context: number;
  readonly decodeTokens: number;
  readonly prefillTokensPerSecond: number;
  readonly ttftMs: number;
  readonly decodeTokensPerSecond: number;
  readonly kvBytes: number;
  readonly tokens: number[];
}

export const speedSuite: Suite = {
  name: 'speed',
  summary: 'prefill and decode tok/s and time to first token per context and policy',
  help: `kvkit bench speed [--shapes 15m,110m (or tiny)] [--weights f32,q8_0] [--contexts 256,512,1024,2048,4096 (quick: 256,512)]
               [--policies full-cache,${POLICY_KINDS.join(',')}] [--budget 256] [--decode 32] [--reps 1] [--backend wasm|cpu|webgpu] [--threads 1]`,
  options: { shapes: { type: 'string' }, weights: { type: 'string' }, contexts: { type: 'string' }, policies: { type: 'string' }, budget: { type: 'string' }, decode: { type: 'string' }, reps: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' } },
  async run(a, ctx) {
    const t0 = performance.now();
    const q = ctx.quick;
    const shapes = listArg(a.shapes, 'shapes', q ? ['15m'] : ['15m', '110m'], oneOfItem(Object.keys(SHAPES)));
    const weights = listArg(a.weights, 'weights', WEIGHT_TYPES, oneOfItem(WEIGHT_TYPES));
    const contexts = listArg(a.contexts, 'contexts', q ? [256, 512] : [256, 512, 1024, 2048, 4096], intItem(2));
    const policies = listArg(a.policies, 'policies', q ? (['full-cache', 'snapkv'] as SpeedPolicy[]) : SPEED_POLICIES, oneOfItem(SPEED_POLICIES));
    const budget = listArg(a.budget, 'budget', [q ? 128 : 256], intItem(1))[0]!;
    const decode = listArg(a.decode, 'decode', [q ? 8 : 32], intItem(2))[0]!;
    const reps = listArg(a.reps, 'reps', [1], intItem(1))[0]!;
    // The WASM SIMD backend by default (the fast CPU path); `cpu` is the scalar TypeScript reference;
    // `webgpu` is Dawn in Node (with no GPU, a software adapter: correctness, not speed).
    const backendName = listArg<BenchBackend>(a.backend, 'backend', ['wasm'], oneOfItem(BENCH_BACKENDS))[0]!;
    const threads = listArg(a.threads, 'threads', [1], intItem(1))[0]!;
    let engine = backendName === 'wasm' ? `kvkit WASM (${threads} thread${threads > 1 ? 's' : ''})` : backendName === 'cpu' ? 'kvkit scalar CPU (1 thread)' : 'kvkit WebGPU';

    const rows: SpeedRow[] = [];
    const sizes: { shape: string; params: number; nominal: number }[] = [];
    // Quick mode: the policies on the first weight type only, the full cache on every one.
    const runs = (w: WeightType) => policies.filter((p) => !(q && a.policies === undefined && p !== 'full-cache' && w !== weights[0]));
    const progress = ctx.progress('bench speed', shapes.length * contexts.length * weights.reduce((s, w) => s + runs(w).length, 0));
    for (const s of shapes) {
      const shape = SHAPES[s]!;
      progress.update(`writing/reading ${s} GGUF in ${ctx.modelsDir}`);
      const files = ensureRandomModels(ctx.modelsDir, shape, weights);
      for (const file of files) {
        const loaded = await loadModel(file.path);
        const opened = await openBenchBackend(backendName, threads);
        using backend = opened.backend;
        if (backendName === 'webgpu') engine = `kvkit WebGPU (${opened.adapter ?? 'unknown adapter'})`;
        using model = LlamaModel.load(backend, loaded);
        if (!sizes.some((z) => z.shape === s)) sizes.push({ shape: s, params: model.parameterCount, nominal: shape.nominalParams });
        // JIT warm-up on the decode and prefill paths.
        await kvkitTimedRun(model, randomPrompt(32, shape.vocabSize, 1, 7), 4);
        for (const policy of runs(file.weightType)) {
          for (const n of contexts) {
            progress.update(`${s} ${file.weightType} ${policy} ctx ${n}`);
            const prompt = randomPrompt(n, shape.vocabSize, 1, n);
            const opts = policy === 'full-cache' ? {} : { policy: benchPolicy(policy, budget) };
            const timed: TimedRun[] = [];
            for (let r = 0; r < reps; r++) timed.push(await kvkitTimedRun(model, prompt, decode, opts));
            rows.push({
              shape: s,
              weights: file.weightType,
              params: model.parameterCount,
              policy,
              budget: policy === 'full-cache' || policy === 'full' ? null : budget,
              context: n,
              decodeTokens: decode,
              prefillTokensPerSecond: median(timed.map((r) => r.prefillTokensPerSecond)),
              ttftMs: median(timed.map((r) => r.ttftMs)),
              decodeTokensPerSecond: median(timed.map((r) => r.decodeTokensPerSecond)),
              kvBytes: timed[0]!.kvBytes ?? 0,
              tokens: timed[0]!.generated,
            });
            progress.tick();
          }
        }
      }
    }
    progress.finish();

    const checks: Check[] = sizes.map((z) => ({
      name: `${z.shape} shape has its stated size`,
      ok: Math.abs(z.params / z.nominal - 1) < 0.05,
      detail: `${z.params.toLocaleString('en-US')} parameters (tied classifier) vs ${z.nominal / 1e6}M stated`,
    }));
    // A full-cache policy (paged, policy machinery on) must decode exactly the tokens of the plain cache.
    for (const r of rows.filter((r) => r.policy === 'full')) {
      const base = rows.find((b) => b.policy === 'full-cache' && b.shape === r.shape && b.weights === r.weights && b.context === r.context);
      if (!base) continue;
      const ag = agreement(base.tokens, r.tokens);
      checks.push({ name: `policy full = full cache tokens (${r.shape} ${r.weights} ctx ${r.context})`, ok: ag.prefix === ag.of, detail: `${ag.same}/${ag.of} greedy tokens equal` });
    }

    const tables: Table[] = [];
    for (const s of shapes) {
      for (const w of weights) {
        const sel = rows.filter((r) => r.shape === s && r.weights === w);
        if (!sel.length) continue;
        tables.push({
          title: `${s} (${sel[0]!.params.toLocaleString('en-US')} params), ${w} weights: prefill tok/s / TTFT ms / decode tok/s, ${engine}`,
          columns: ['policy', ...contexts.map((n) => `ctx ${n}`)],
          rows: policies.filter((p) => sel.some((x) => x.policy === p)).map((p) => [
            p === 'full-cache' ? 'full cache (no policy)' : p === 'full' ? 'full (policy)' : `${p} @${budget}`,
            ...contexts.map((n) => {
              const r = sel.find((x) => x.policy === p && x.context === n);
              return r ? `${r.prefillTokensPerSecond.toFixed(1)} / ${r.ttftMs.toFixed(0)} / ${r.decodeTokensPerSecond.toFixed(1)}` : '';
            }),
          ]),
          note: `Prompt of ctx random tokens (BOS first) in one chunk, then ${decode - 1} greedy decode steps; decode tok/s over those steps. Budget ${budget} tokens per layer for the policies.`,
        });
      }
    }
    tables.push({
      title: 'Every run',
      columns: ['shape', 'weights', 'policy', 'budget', 'context', 'prefill tok/s', 'TTFT ms', 'decode tok/s', 'KV bytes held'],
      rows: rows.map((r) => [r.shape, r.weights, r.policy, r.budget ?? 'all', r.context, r.prefillTokensPerSecond, r.ttftMs, r.decodeTokensPerSecond, r.kvBytes]),
      reportOnly: true,
    });

    const plots = shapes.flatMap((s) =>
      weights.flatMap((w) => {
        const sel = rows.filter((r) => r.shape === s && r.weights === w);
        if (!sel.length) return [];
        const series = (f: (r: SpeedRow) => number) =>
          policies.filter((p) => sel.some((x) => x.policy === p)).map((p) => ({ name: p === 'full-cache' ? 'full cache' : `${p} @${budget}`, points: sel.filter((r) => r.policy === p).map((r) => [r.context, f(r)] as [number, number]), ...(p === 'full-cache' ? { dashed: true } : {}) }));
        return [
          { file: `decode-${s}-${w}.svg`, title: `${s} ${w}: decode tok/s vs context`, svg: lineChart({ title: `${s} ${w}: decode tok/s vs context (${engine})`, xLabel: 'context (tokens)', yLabel: 'decode tok/s', xLog: true, yInclude: [0], series: series((r) => r.decodeTokensPerSecond) }) },
          { file: `prefill-${s}-${w}.svg`, title: `${s} ${w}: prefill tok/s vs context`, svg: lineChart({ title: `${s} ${w}: prefill tok/s vs context (${engine})`, xLabel: 'context (tokens)', yLabel: 'prefill tok/s', xLog: true, yInclude: [0], series: series((r) => r.prefillTokensPerSecond) }) },
          { file: `ttft-${s}-${w}.svg`, title: `${s} ${w}: time to first token vs context`, svg: lineChart({ title: `${s} ${w}: time to first token vs context (${engine})`, xLabel: 'context (tokens)', yLabel: 'TTFT (ms, log)', xLog: true, yLog: true, series: series((r) => r.ttftMs) }) },
        ];
      }),
    );
    return {
      suite: 'speed',
      quick: q,
      env: benchEnv(),
      params: { shapes, weights, contexts, policies, budget, decode, reps, modelsDir: ctx.modelsDir, backend: engine },
      durationMs: performance.now() - t0,
      checks,
      tables,
      plots,
      data: { sizes, rows: rows.map(({ tokens, ...r }) => ({ ...r, firstTokens: tokens.slice(0, 8) })) },
      notes: [
        'Models: random weights (seeded, uniform with std 0.02, norms 1) in the shapes of llama2.c\'s stories15M (dim 288, 6 layers, 6 heads, hidden 768, vocab 32000) and stories110M (dim 768, 12 layers, 12 heads, hidden 2048, vocab 32000), tied classifier, written by kvkit as GGUF (F32, and Q8_0 for every matrix incl. the embedding) with a minimal SentencePiece vocabulary, cached in the models folder.',
      ],
    };
  },
};
