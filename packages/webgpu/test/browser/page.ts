// Runs in headless Chromium (bundled by esbuild in browser.test.ts): the backend on navigator.gpu,
// a few conformance-style checks against the CPU backend, and stories260K greedy decoding.
import { readModel } from '@kvkit/loaders';
import { argmax, LlamaModel, Session } from '@kvkit/runtime';
import type { Backend, DType, KvView } from '@kvkit/tensor';
import { CpuBackend, decode, encode } from '@kvkit/tensor';
import { createWebGPUBackend } from '../../src/index.js';

export interface PageResult {
  readonly skip?: string;
  readonly adapter?: string;
  readonly checks: { readonly name: string; readonly maxError: number; readonly tolerance: number }[];
  readonly gpuTokens: number[];
  readonly cpuTokens: number[];
  readonly maxLogitDiff: number;
  readonly submits: number;
}

function random(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

/** Run `op` on both backends over the same inputs and return the largest difference of `out`. */
async function compare(gpu: Backend, cpu: Backend, build: (b: Backend) => { run: () => void; out: ReturnType<Backend['tensor']> }): Promise<number> {
  const g = build(gpu);
  const c = build(cpu);
  g.run();
  c.run();
  return maxDiff(await gpu.read(g.out), await cpu.read(c.out));
}

async function greedy(backend: Backend, bytes: Uint8Array, n: number) {
  const loaded = readModel(bytes);
  const model = LlamaModel.load(backend, loaded);
  const session = new Session(model);
  const tokens: number[] = [];
  const logits: Float32Array[] = [];
  let last = await session.append([loaded.config.bosId]);
  for (let i = 0; i < n; i++) {
    logits.push(last);
    const best = argmax(last);
    tokens.push(best);
    if (i + 1 < n) last = await session.append([best]);
  }
  session[Symbol.dispose]();
  model.dispose();
  return { tokens, logits };
}

async function run(modelUrl: string, steps: number): Promise<PageResult> {
  const empty = { checks: [], gpuTokens: [], cpuTokens: [], maxLogitDiff: NaN, submits: 0 };
  const gpuApi = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpuApi) return { ...empty, skip: 'navigator.gpu is missing (WebGPU disabled or not a secure context)' };
  const adapter = await gpuApi.requestAdapter();
  if (!adapter) return { ...empty, skip: 'navigator.gpu.requestAdapter() returned null' };
  const name = `${adapter.info?.vendor ?? '?'} ${adapter.info?.architecture ?? ''}`.trim();
  const gpu = await createWebGPUBackend({ adapter });
  const cpu = new CpuBackend();
  const checks: PageResult['checks'] = [];

  for (const dtype of ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as DType[]) {
    for (const m of [1, 5]) {
      const [n, k] = [48, 256];
      const x = random(m * k, 1);
      const w = encode(dtype, random(n * k, 2, 1 / 16));
      checks.push({
        name: `matmul ${dtype} m=${m}`,
        tolerance: 1e-4,
        maxError: await compare(gpu, cpu, (b) => {
          const out = b.tensor('f32', [m, n]);
          const [xt, wt] = [b.tensor('f32', [m, k], x), b.tensor(dtype, [n, k], w)];
          return { out, run: () => b.matmul(out, xt, wt) };
        }),
      });
    }
    const table = encode(dtype, random(37 * 64, 3));
    checks.push({
      name: `embed ${dtype}`,
      tolerance: 0,
      maxError: await compare(gpu, cpu, (b) => {
        const out = b.tensor('f32', [3, 64]);
        const t = b.tensor(dtype, [37, 64], table);
        return { out, run: () => b.embed(out, t, Int32Array.of(36, 0, 5)) };
      }),
    });
    checks.push({ name: `read ${dtype}`, tolerance: 0, maxError: maxDiff(await gpu.read(gpu.tensor(dtype, [37, 64], table)), decode(dtype, table, 37 * 64)) });
  }
  const xr = random(3 * 96, 4, 5);
  const wr = random(96, 5);
  checks.push({
    name: 'rmsnorm in place',
    tolerance: 1e-5,
    maxError: await compare(gpu, cpu, (b) => {
      const x = b.tensor('f32', [3, 96], xr);
      const w = b.tensor('f32', [96], wr);
      return { out: x, run: () => b.rmsnorm(x, x, w, 1e-5) };
    }),
  });
  for (const layout of ['adjacent', 'half'] as const) {
    checks.push({
      name: `rope ${layout}`,
      tolerance: 1e-5,
      maxError: await compare(gpu, cpu, (b) => {
        const x = b.tensor('f32', [3, 64], random(3 * 64, 6));
        return { out: x, run: () => b.rope(x, Int32Array.of(0, 77, 4000), { nHeads: 4, headDim: 16, theta: 10000, layout }) };
      }),
    });
  }
  checks.push({
    name: 'softmax',
    tolerance: 1e-6,
    maxError: await compare(gpu, cpu, (b) => {
      const x = b.tensor('f32', [4, 33], random(4 * 33, 7, 8));
      return { out: x, run: () => b.softmax(x) };
    }),
  });
  for (const m of [1, 6]) {
    checks.push({
      name: `attention over a shuffled paged view, m=${m}, with stats`,
      tolerance: 1e-5,
      maxError: await compare(gpu, cpu, (b) => {
        const [nKv, d, pageSize, pages] = [2, 16, 4, 8];
        const pool = (nKv * pages + 1) * pageSize;
        const cap = pages * pageSize;
        const pageTable = Int32Array.from({ length: nKv * pages }, (_, i) => (i * 7 + 3) % (nKv * pages + 1));
        const positions = Int32Array.from({ length: nKv * cap }, (_, i) => i % cap);
        const view: KvView = {
          k: b.tensor('f32', [pool, d], random(pool * d, 8)),
          v: b.tensor('f32', [pool, d], random(pool * d, 9)),
          nKvHeads: nKv,
          headDim: d,
          pageSize,
          pagesPerHead: pages,
          pageTable,
          lengths: Int32Array.of(29, 17),
          positions,
        };
        const q = b.tensor('f32', [m, 4 * d], random(m * 4 * d, 10));
        const out = b.tensor('f32', [m, 4 * d]);
        const columnSums = b.tensor('f32', [4, cap]);
        const qpos = Int32Array.from({ length: m }, (_, i) => 28 - m + 1 + i);
        return { out, run: () => b.attention(out, q, qpos, view, { nHeads: 4, scale: 0.25, slidingWindow: 20, stats: { columnSums } }) };
      }),
    });
  }

  const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const before = gpu.counters.submits;
  const g = await greedy(gpu, bytes, steps);
  const submits = gpu.counters.submits - before;
  const c = await greedy(cpu, bytes, steps);
  let maxLogitDiff = 0;
  for (let i = 0; i < steps; i++) maxLogitDiff = Math.max(maxLogitDiff, maxDiff(g.logits[i]!, c.logits[i]!));
  gpu.dispose();
  return { adapter: name, checks, gpuTokens: g.tokens, cpuTokens: c.tokens, maxLogitDiff, submits };
}

(globalThis as { kvkitRun?: typeof run }).kvkitRun = run;
