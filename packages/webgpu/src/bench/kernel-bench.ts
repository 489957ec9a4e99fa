// Time each kernel class of a backend (any Backend: webgpu or cpu) and report GFLOP/s, GB/s and the
// bytes-moved floor (weights or K/V read once, activations in and out). Ops are enqueued
// `iterations` times and closed by one `read`, so per-call launch cost is included but readback is
// amortised. Software adapters (SwiftShader, lavapipe) give correctness, not speed.
import type { Backend, DType, KvView, Tensor } from '@kvkit/tensor';
import { byteSize, encode } from '@kvkit/tensor';

/** Weight dtypes timed by default. */
export const BENCH_WEIGHT_DTYPES: readonly DType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'];

export type BenchKernel = 'gemv' | 'gemm' | 'attention-decode' | 'attention-prefill';

export interface KernelBenchOptions {
  /** Kernel classes to time (default: all). */
  readonly kernels?: readonly BenchKernel[];
  /** Weight dtypes for GEMV/GEMM (default: all five). */
  readonly dtypes?: readonly DType[];
  /** Weight rows and columns of GEMV/GEMM (default 2048 x 2048). */
  readonly n?: number;
  readonly k?: number;
  /** Rows of x for GEMM (default 64). */
  readonly m?: number;
  /** Attention shape (default 32 query heads over 8 KV heads of 128, 1024 cached tokens, 64 prefill queries). */
  readonly attention?: { readonly nHeads?: number; readonly nKvHeads?: number; readonly headDim?: number; readonly context?: number; readonly queries?: number };
  /** Timed calls per kernel (default 10) after `warmup` untimed ones (default 2). */
  readonly iterations?: number;
  readonly warmup?: number;
  /** Clock in milliseconds (default performance.now). */
  readonly now?: () => number;
}

export interface KernelBenchResult {
  readonly kernel: BenchKernel;
  readonly dtype: DType;
  /** e.g. 'm=1 n=2048 k=2048' */
  readonly shape: string;
  readonly backend: string;
  readonly iterations: number;
  readonly msPerCall: number;
  readonly gflops: number;
  /** bytesFloor / time: the bandwidth the kernel achieves against the minimum traffic. */
  readonly gbps: number;
  /** Bytes every call must move at least: weights (or K and V) once, inputs read, outputs written. */
  readonly bytesFloor: number;
  readonly flops: number;
}

export async function benchKernels(backend: Backend, opts: KernelBenchOptions = {}): Promise<KernelBenchResult[]> {
  const kernels = opts.kernels ?? ['gemv', 'gemm', 'attention-decode', 'attention-prefill'];
  const dtypes = opts.dtypes ?? BENCH_WEIGHT_DTYPES;
  const n = opts.n ?? 2048;
  const k = opts.k ?? 2048;
  const mGemm = opts.m ?? 64;
  const iterations = opts.iterations ?? 10;
  const warmup = opts.warmup ?? 2;
  const now = opts.now ?? (() => performance.now());
  const results: KernelBenchResult[] = [];
  const live: Tensor[] = [];
  const t = (dtype: DType, shape: number[], data?: Uint8Array | Float32Array) => {
    const x = backend.tensor(dtype, shape, data);
    live.push(x);
    return x;
  };
  const time = async (run: () => void, sync: Tensor): Promise<number> => {
    for (let i = 0; i < warmup; i++) run();
    await backend.read(sync);
    const t0 = now();
    for (let i = 0; i < iterations; i++) run();
    await backend.read(sync);
    return (now() - t0) / iterations;
  };
  const record = (kernel: BenchKernel, dtype: DType, shape: string, ms: number, flops: number, bytesFloor: number) =>
    results.push({ kernel, dtype, shape, backend: backend.name, iterations, msPerCall: ms, flops, bytesFloor, gflops: flops / ms / 1e6, gbps: bytesFloor / ms / 1e6 });

  try {
    for (const kernel of kernels) {
      if (kernel === 'gemv' || kernel === 'gemm') {
        const m = kernel === 'gemv' ? 1 : mGemm;
        const x = t('f32', [m, k], random(m * k, 1));
        const out = t('f32', [m, n]);
        for (const dtype of dtypes) {
          if (dtype !== 'f32' && dtype !== 'f16' && dtype !== 'bf16' && k % 32) continue;
          const w = t(dtype, [n, k], encode(dtype, random(n * k, 2, 1 / Math.sqrt(k))));
          const ms = await time(() => backend.matmul(out, x, w), out);
          record(kernel, dtype, `m=${m} n=${n} k=${k}`, ms, 2 * m * n * k, byteSize(dtype, n * k) + 4 * m * (k + n));
          w.dispose();
        }
      } else {
        const a = opts.attention ?? {};
        const [nHeads, nKv, d, ctx] = [a.nHeads ?? 32, a.nKvHeads ?? 8, a.headDim ?? 128, a.context ?? 1024];
        const m = kernel === 'attention-decode' ? 1 : (a.queries ?? 64);
        const pageSize = 64;
        const pagesPerHead = Math.ceil(ctx / pageSize);
        const cap = pagesPerHead * pageSize;
        const pageTable = Int32Array.from({ length: nKv * pagesPerHead }, (_, i) => i);
        const positions = new Int32Array(nKv * cap);
        for (let h = 0; h < nKv; h++) for (let j = 0; j < ctx; j++) positions[h * cap + j] = j;
        const pool = nKv * cap;
        const view: KvView = {
          k: t('f32', [pool, d], random(pool * d, 3)),
          v: t('f32', [pool, d], random(pool * d, 4)),
          nKvHeads: nKv,
          headDim: d,
          pageSize,
          pagesPerHead,
          pageTable,
          lengths: new Int32Array(nKv).fill(ctx),
          positions,
        };
        const q = t('f32', [m, nHeads * d], random(m * nHeads * d, 5));
        const out = t('f32', [m, nHeads * d]);
        const qpos = Int32Array.from({ length: m }, (_, i) => ctx - m + i);
        const ms = await time(() => backend.attention(out, q, qpos, view, { nHeads, scale: 1 / Math.sqrt(d) }), out);
        // Causal: query i sees ctx - m + i + 1 keys.
        let seen = 0;
        for (let i = 0; i < m; i++) seen += ctx - m + i + 1;
        record(kernel, 'f32', `m=${m} heads=${nHeads}/${nKv} d=${d} context=${ctx}`, ms, 4 * nHeads * d * seen, 2 * nKv * ctx * d * 4 + 2 * m * nHeads * d * 4);
      }
    }
  } finally {
    for (const x of live) x.dispose();
  }
  return results;
}

/** Deterministic values in [-scale, scale). */
function random(count: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}
