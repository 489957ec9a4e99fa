import { CpuBackend } from '@kvkit/tensor';
import { LlamaModel } from '@kvkit/runtime';
import { UsageError, parse } from '../args.js';
import { generationFlops } from '../flops.js';
import { openModel } from '../model-source.js';
import { runGeneration } from '../run-generation.js';

export const benchCacheHelp = `kvkit bench cache [--model <file|dir>] [--tokenizer <file>] [--lengths 128,256,480] [--json]`;

/**
 * The seeds' benchmark: greedy decode from BOS with the KV cache and without it (every step recomputes
 * every position), side by side in one run, with the FLOP ratio theory predicts for the same work.
 */
export async function benchCacheCommand(argv: string[]): Promise<void> {
  const a = parse(argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    lengths: { type: 'string', default: '128,256,480' },
    json: { type: 'boolean', default: false },
  });
  const lengths = a.lengths!.split(',').map(Number);
  const loaded = await openModel(a.model, a.tokenizer);
  if (lengths.some((n) => !Number.isInteger(n) || n < 2 || n >= loaded.config.contextLength)) {
    throw new UsageError(`--lengths must be integers in [2, ${loaded.config.contextLength - 1}]`);
  }
  using backend = new CpuBackend();
  using model = LlamaModel.load(backend, loaded);
  const prompt = [loaded.config.bosId];
  // Warm the JIT on both paths so the first row is not the one paying for compilation.
  for (const mode of ['cache', 'recompute'] as const) await runGeneration(model, prompt, { maxTokens: 32, stopTokens: [], session: { mode } });
  const rows = [];
  for (const n of lengths) {
    const opts = { maxTokens: n, stopTokens: [] as number[] };
    const cached = await runGeneration(model, prompt, { ...opts, session: { mode: 'cache' } });
    const recompute = await runGeneration(model, prompt, { ...opts, session: { mode: 'recompute' } });
    const same = cached.generated.every((t, i) => t === recompute.generated[i]);
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
  }
  if (a.json) {
    process.stdout.write(JSON.stringify({ model: a.model ?? 'default', rows }) + '\n');
    return;
  }
  const lines = [
    '| tokens | tok/s with cache | tok/s without | measured speed-up | FLOP ratio (theory) | same tokens |',
    '| ---: | ---: | ---: | ---: | ---: | :---: |',
    ...rows.map((r) => `| ${r.tokens} | ${r.cachedTokensPerSecond.toFixed(0)} | ${r.recomputeTokensPerSecond.toFixed(1)} | ${r.speedup.toFixed(1)}x | ${r.flopRatio.toFixed(1)}x | ${r.sameTokens ? 'yes' : 'NO'} |`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
