// The page of browser.test.ts: runs the checks on its main thread, and (when asked) inside a module
// Web Worker, where the backend starts nested workers and may block in Atomics.wait.
import type { ContextResult } from './checks.js';
import { runChecks } from './checks.js';

export interface PageResult {
  readonly page: ContextResult;
  readonly worker?: ContextResult;
}

interface WorkerLike {
  onmessage: ((e: { data: { result?: ContextResult; error?: string } }) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
  postMessage(m: unknown): void;
  terminate(): void;
}

function inWorker(url: string, threads: number): Promise<ContextResult> {
  const W = (globalThis as unknown as { Worker: new (u: string, o: { type: 'module' }) => WorkerLike }).Worker;
  const w = new W(url, { type: 'module' });
  return new Promise<ContextResult>((resolve, reject) => {
    w.onmessage = (e) => (e.data.result ? resolve(e.data.result) : reject(new Error(`in the worker: ${e.data.error}`)));
    w.onerror = (e) => reject(new Error(`worker failed: ${e.message ?? 'no message'}`));
    w.postMessage(threads);
  }).finally(() => w.terminate());
}

async function run(threads: number, workerUrl?: string): Promise<PageResult> {
  const page = await runChecks(threads);
  return workerUrl ? { page, worker: await inWorker(workerUrl, threads) } : { page };
}

(globalThis as unknown as { kvkitRun: typeof run }).kvkitRun = run;
