// Runs in headless Chromium, on a page's main thread and inside a module Web Worker (bundled by
// esbuild in browser.test.ts from the package's browser-safe main entry): the WASM backend with the
// threads asked for and with 1 thread, on the cases of cases.ts; outputs go back to Node.
import type { Backend, KvView } from '../../src/index.js';
import { availableThreads, createWasmCpuBackend, encode } from '../../src/index.js';
import { ATTN, ATTN_CAP, attnK, attnPageTable, attnPositions, attnQ, attnV, MATMUL, matmulW, matmulX } from './cases.js';

export interface Outputs {
  readonly matmulF32: number[];
  readonly matmulQ8: number[];
  readonly attention: number[];
}

export interface ContextResult {
  readonly crossOriginIsolated: boolean;
  /** Whether Atomics.wait may block here (never on a page's main thread). */
  readonly canWait: boolean;
  readonly hardwareConcurrency: number;
  readonly availableThreads: number;
  readonly threads: number;
  readonly singleThreadReason: string | undefined;
  readonly threaded: Outputs;
  readonly oneThread: Outputs;
}

async function outputs(be: Backend): Promise<Outputs> {
  const { m, n, k } = MATMUL;
  const x = be.tensor('f32', [m, k], matmulX());
  const matmul = async (w: ReturnType<Backend['tensor']>) => {
    const out = be.tensor('f32', [m, n]);
    be.matmul(out, x, w);
    return Array.from(await be.read(out));
  };
  const matmulF32 = await matmul(be.tensor('f32', [n, k], matmulW()));
  const matmulQ8 = await matmul(be.tensor('q8_0', [n, k], encode('q8_0', matmulW())));
  const { nHeads, nKvHeads, d, pageSize, pagesPerHead, scale, lengths, queryPositions } = ATTN;
  const view: KvView = {
    k: be.tensor('f32', [nKvHeads * ATTN_CAP, d], attnK()),
    v: be.tensor('f32', [nKvHeads * ATTN_CAP, d], attnV()),
    nKvHeads,
    headDim: d,
    pageSize,
    pagesPerHead,
    pageTable: attnPageTable(),
    lengths: Int32Array.from(lengths),
    positions: attnPositions(),
  };
  const rows = queryPositions.length;
  const out = be.tensor('f32', [rows, nHeads * d]);
  be.attention(out, be.tensor('f32', [rows, nHeads * d], attnQ()), Int32Array.from(queryPositions), view, { nHeads, scale });
  return { matmulF32, matmulQ8, attention: Array.from(await be.read(out)) };
}

function canWait(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** The threaded backend (every call split: minParallelWork 1) and the 1-thread one, on the same cases. */
export async function runChecks(threads: number): Promise<ContextResult> {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  const threadedBe = await createWasmCpuBackend({ threads, minParallelWork: 1 });
  const oneBe = await createWasmCpuBackend({ threads: 1 });
  try {
    return {
      crossOriginIsolated: g.crossOriginIsolated === true,
      canWait: typeof SharedArrayBuffer === 'function' && canWait(),
      hardwareConcurrency: g.navigator?.hardwareConcurrency ?? 0,
      availableThreads: availableThreads(),
      threads: threadedBe.threads,
      singleThreadReason: threadedBe.singleThreadReason,
      threaded: await outputs(threadedBe),
      oneThread: await outputs(oneBe),
    };
  } finally {
    threadedBe[Symbol.dispose]();
    oneBe[Symbol.dispose]();
  }
}
