import type { Backend } from '@kvkit/tensor';
import { openCliBackend, UsageError } from 'kvkit/commands';

export const BENCH_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

/** A backend for a timed run: an explicit kind and thread count (never 'auto', so reports say what ran), and its adapter. */
export async function openBenchBackend(name: string | undefined, threads = 1): Promise<{ backend: Backend; adapter?: string }> {
  const choice = (name ?? 'wasm') as BenchBackend;
  if (!BENCH_BACKENDS.includes(choice)) throw new UsageError(`--backend must be one of ${BENCH_BACKENDS.join(', ')}, got '${name}'`);
  const { backend, info } = await openCliBackend({ choice, ...(choice === 'wasm' ? { threads } : {}) });
  return { backend, ...(info.adapter ? { adapter: info.adapter } : {}) };
}
