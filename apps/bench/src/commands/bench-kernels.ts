import { benchKernels } from '@kvkit/webgpu';
import type { Command, Flags } from 'kvkit/commands';
import { backendFlags, backendRequest, formatFlags, formatOf, int, jsonAliasFlag, openCliBackend, writeJson } from 'kvkit/commands';

const flags = {
  n: { type: 'string', value: '<n>', help: 'output rows', default: '2048' },
  k: { type: 'string', value: '<k>', help: 'inner dimension (>= 32)', default: '2048' },
  m: { type: 'string', value: '<m>', help: 'tokens of the prefill GEMM', default: '64' },
  iterations: { type: 'string', value: '<n>', help: 'timed calls per kernel', default: '10' },
  ...backendFlags,
  ...formatFlags,
  ...jsonAliasFlag,
} as const;

/** GFLOP/s and GB/s per kernel against the bytes every call must move (the bandwidth floor). */
async function run(f: Flags): Promise<void> {
  const format = formatOf(f);
  const shape = { n: int(f, 'n', 1) ?? 2048, k: int(f, 'k', 32) ?? 2048, m: int(f, 'm', 1) ?? 64, iterations: int(f, 'iterations', 1) ?? 10 };
  const { backend, info } = await openCliBackend(backendRequest(f));
  using _backend = backend;
  const results = await benchKernels(backend, shape);
  if (format === 'json') {
    writeJson({ backend: info, results });
    return;
  }
  const lines = [
    `| kernel | dtype | shape | ms/call | GFLOP/s | GB/s (vs bytes floor) | bytes floor |`,
    `| --- | --- | --- | ---: | ---: | ---: | ---: |`,
    ...results.map((r) => `| ${r.kernel} | ${r.dtype} | ${r.shape} | ${r.msPerCall.toFixed(3)} | ${r.gflops.toFixed(2)} | ${r.gbps.toFixed(2)} | ${r.bytesFloor} |`),
  ];
  process.stdout.write(`backend: ${backend.name}, ${info.threads} thread(s)\n${lines.join('\n')}\n`);
}

export const benchKernelsCommand: Command = {
  name: 'bench kernels',
  summary: "GFLOP/s and GB/s of the backend's kernels against the bandwidth floor",
  flags,
  run,
};
