import { benchKernels } from '@kvkit/webgpu';
import { intArg, parse } from '../args.js';
import { openBackend } from '../backend-choice.js';

export const benchKernelsHelp = `kvkit bench kernels [--backend cpu|wasm|webgpu] [--threads n] [--n 2048 --k 2048 --m 64] [--iterations 10] [--json]`;

/** GFLOP/s and GB/s per kernel against the bytes every call must move (the bandwidth floor). */
export async function benchKernelsCommand(argv: string[]): Promise<void> {
  const a = parse(argv, { backend: { type: 'string' }, threads: { type: 'string' }, n: { type: 'string' }, k: { type: 'string' }, m: { type: 'string' }, iterations: { type: 'string' }, json: { type: 'boolean', default: false } });
  using backend = await openBackend(a.backend, intArg(a.threads, 'threads', 1, 1));
  const results = await benchKernels(backend, {
    n: intArg(a.n, 'n', 2048, 1),
    k: intArg(a.k, 'k', 2048, 32),
    m: intArg(a.m, 'm', 64, 1),
    iterations: intArg(a.iterations, 'iterations', 10, 1),
  });
  if (a.json) {
    process.stdout.write(JSON.stringify({ backend: backend.name, results }) + '\n');
    return;
  }
  const lines = [
    `| kernel | dtype | shape | ms/call | GFLOP/s | GB/s (vs bytes floor) | bytes floor |`,
    `| --- | --- | --- | ---: | ---: | ---: | ---: |`,
    ...results.map((r) => `| ${r.kernel} | ${r.dtype} | ${r.shape} | ${r.msPerCall.toFixed(3)} | ${r.gflops.toFixed(2)} | ${r.gbps.toFixed(2)} | ${r.bytesFloor} |`),
  ];
  process.stdout.write(`backend: ${backend.name}\n${lines.join('\n')}\n`);
}
