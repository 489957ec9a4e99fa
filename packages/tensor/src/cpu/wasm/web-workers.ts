// Pool workers as Web Workers (browsers, and Web Workers that start workers of their own). Each is a
// classic worker loaded from one Blob URL of the loop's source, so nothing has to be served or bundled
// beside the package. Shared WebAssembly memory needs SharedArrayBuffer, which browsers only give to
// cross-origin isolated documents (COOP same-origin + COEP require-corp); elsewhere the backend runs
// one thread and says why.
import { KvkitError, ThreadsUnavailableError } from '../../errors.js';
import type { PoolWorker, PoolWorkerFactory, PoolWorkerInit, WorkerSource } from './pool.js';
import { WORKER_LOOP } from './worker-loop.js';

/** The few Web APIs used here, typed locally: the project's TypeScript lib settings have no DOM. */
interface WebWorker {
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string; preventDefault?(): void }) => void) | null;
  onmessageerror: (() => void) | null;
  postMessage(message: unknown): void;
  terminate(): void;
}
interface WebGlobals {
  Worker?: new (url: string, options?: { name?: string }) => WebWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
  crossOriginIsolated?: boolean;
  process?: { versions?: { node?: string } };
}
const web = globalThis as unknown as WebGlobals;

const SOURCE = `${WORKER_LOOP}
self.onmessage = (e) => {
  self.onmessage = null;
  poolWorker(e.data, (m) => self.postMessage(m));
};
`;

/** One Blob URL per realm, kept for its lifetime (a few kB): revoking it could race a worker's start. */
let sourceUrl: string | undefined;

function webWorker(init: PoolWorkerInit): PoolWorker {
  const { Worker, Blob, URL } = web as Required<WebGlobals>;
  sourceUrl ??= URL.createObjectURL(new Blob([SOURCE], { type: 'text/javascript' }));
  const w = new Worker(sourceUrl, { name: `kvkit cpu-wasm ${init.index}` });
  const ready = new Promise<void>((resolve, reject) => {
    w.onmessage = () => {
      // After 'ready' a message is a kernel's error (the caller throws WORKER_FAILED pointing here).
      w.onmessage = (e) => console.error(`cpu-wasm worker: ${String(e.data)}`);
      w.onerror = null;
      resolve();
    };
    w.onerror = (e) => {
      e.preventDefault?.();
      reject(new KvkitError('WORKER_FAILED', `cpu-wasm worker ${init.index} failed to start (${e.message ?? 'no message'}); a Content-Security-Policy must allow worker-src blob:, or pass threads: 1`));
    };
    w.onmessageerror = () => reject(new KvkitError('WORKER_FAILED', `cpu-wasm worker ${init.index} could not receive the module and shared memory`));
  });
  w.postMessage(init);
  return { ready, terminate: () => w.terminate() };
}

/**
 * Web Workers where they can share the memory. In Node (no global Worker) this throws
 * ThreadsUnavailableError: threads there come from the '@kvkit/tensor/node' entry, never from a
 * hidden dynamic import of node:worker_threads that browser bundlers would trip over.
 */
export const webWorkers: WorkerSource = () => {
  const hasWorker = typeof web.Worker === 'function';
  if (hasWorker && web.crossOriginIsolated === true) return webWorker;
  if (!hasWorker && typeof web.process?.versions?.node === 'string') {
    throw new ThreadsUnavailableError(
      "createWasmCpuBackend from '@kvkit/tensor' runs worker threads only in browsers; in Node import { createWasmCpuBackend } from '@kvkit/tensor/node' for threads > 1, or pass threads: 1",
    );
  }
  if (!hasWorker) return { fallback: 'this context has no Worker constructor' };
  return {
    fallback: 'the page is not cross-origin isolated: shared WebAssembly memory needs the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp',
  };
};
