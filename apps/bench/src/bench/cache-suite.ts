// Suite `cache`: the seeds' benchmark, greedy decode with vs without the KV cache, with the FLOP ratio.
import { CpuBackend } from '@kvkit/tensor';
import { LlamaModel } from '@kvkit/runtime';
import { UsageError } from 'kvkit/commands';
import { generationFlops } from '../flops.js';
import { stories260k } from '../fixtures.js';
import { openModel } from '../model-source.js';
import { runGeneration } from '../run-generation.js';
import type { Check, Table } from './report.js';
import { benchEnv } from './report.js';
import type { Suite } from './suite.js';
import { intItem, listArg, str } from './suite.js';
import { lineChart } from './svg.js';

export interface CacheRow {
  readonly tokens: number;
  readonly cachedTokensPerSecond: number;
  readonly recomputeTokensPerSecond: number;
  readonly speedup: number;
  readonly flopRatio: number;
  readonly sameTokens: boolean;
}

export const cacheSuite: Suite = {
  name: 'cache',
  summary: 'greedy decode with and without the KV cache: measured speed-up beside the FLOP ratio',
  help: 'kvkit bench cache [--model <file|dir>] [--tokenizer <file>] [--lengths 128,256,480 (quick: 16,32,64)]',
  options: { model: { type: 'string' }, tokenizer: { type: 'string' }, lengths: { type: 'string' } },
  /**
   * Greedy decode from BOS with the KV cache and without it (every step recomputes every position),
   * side by side in one run, with the FLOP ratio theory predicts for the same work.
   */
  async run(a, ctx) {
    const t0 = performance.now();
    const lengths = listArg(a.lengths, 'lengths', ctx.quick ? [16, 32, 64] : [128, 256, 480], intItem(2));
    const loaded = await openModel(str(a, 'model'), str(a, 'tokenizer'), stories260k());
    if (lengths.some((n) => n >= loaded.config.contextLength)) throw new UsageError(`--lengths must be integers in [2, ${loaded.config.contextLength - 1}]`);
    using backend = new CpuBackend();
    using model = LlamaModel.load(backend, loaded);
    const prompt = [loaded.config.bosId];
    // Warm the JIT on both paths so the first row is not the one paying for compilation.
    for (const mode of ['cache', 'recompute'] as const) await runGeneration(model, prompt, { maxTokens: 32, stopTokens: [], session: { mode } });
    const rows: CacheRow[] = [];
    const progress = ctx.progress('bench cache', lengths.length);
    for (const n of lengths) {
      progress.update(`${n} tokens`);
      const opts = { maxTokens: n, stopTokens: [] as number[] };
      const cached = await runGeneration(model, prompt, { ...opts, session: { mode: 'cache' } });
      const recompute = await runGeneration(model, prompt, { ...opts, session: { mode: 'recompute' } });
      const same = cached.generated.length === recompute.generated.length && cached.generated.every((t, i) => t === recompute.generated[i]);
      const flops = generationFlops(loaded.config, prompt.length, n);
      const tps = (r: typeof cached) => (r.generated.length * 1000) / (r.prefillMs + r.decodeMs);
      rows.push({
        tokens: n,
        cachedTokensPerSecond: tps(cached),
        recomputeTokensPerSecond: tps(recompute),
        speedup: tps(cached) / tps(recompute),
        flopRatio: flops.recompute / flops.cached,
        sameTokens: same,
      });
      progress.tick();
    }
    progress.finish();
    const table: Table = {
      title: 'With vs without the KV cache (greedy from BOS)',
      columns: ['tokens', 'tok/s with cache', 'tok/s without', 'measured speed-up', 'FLOP ratio (theory)', 'same tokens'],
      rows: rows.map((r) => [r.tokens, +r.cachedTokensPerSecond.toFixed(0), +r.recomputeTokensPerSecond.toFixed(1), `${r.speedup.toFixed(1)}x`, `${r.flopRatio.toFixed(1)}x`, r.sameTokens]),
      note: 'tok/s: generated tokens over prefill + decode time. FLOP ratio: recompute FLOPs / cached FLOPs for the same tokens (flops.ts).',
    };
    const checks: Check[] = [
      {
        name: 'cache vs recompute tokens',
        ok: rows.every((r) => r.sameTokens),
        detail: `greedy tokens with and without the KV cache are identical at ${rows.filter((r) => r.sameTokens).length}/${rows.length} lengths`,
      },
    ];
    const plot = lineChart({
      title: 'KV cache speed-up vs generated tokens',
      xLabel: 'generated tokens',
      yLabel: 'speed-up (x)',
      xLog: true,
      series: [
        { name: 'measured', points: rows.map((r) => [r.tokens, r.speedup]) },
        { name: 'FLOP ratio (theory)', points: rows.map((r) => [r.tokens, r.flopRatio]), dashed: true },
      ],
      yInclude: [1],
    });
    return {
      suite: 'cache',
      quick: ctx.quick,
      env: benchEnv(),
      params: { model: str(a, 'model') ?? 'default', lengths },
      durationMs: performance.now() - t0,
      checks,
      tables: [table],
      plots: [{ file: 'speedup.svg', title: 'KV cache speed-up vs generated tokens', svg: plot }],
      data: { model: str(a, 'model') ?? 'default', rows },
    };
  },
};
