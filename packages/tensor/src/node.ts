// @kvkit/tensor/node: the same API as the main entry, with worker threads on node:worker_threads for
// the WASM CPU backend and the machine's core count. Kept out of the main entry so that browser
// bundles never see a Node import.
import { availableParallelism } from 'node:os';
import { clampThreads } from './available-threads.js';
import { nodeWorker } from './cpu/wasm/node-workers.js';
import type { WasmCpuBackendOptions } from './cpu/wasm/wasm-backend.js';
import { WasmCpuBackend } from './cpu/wasm/wasm-backend.js';

export * from './index.js';

/** A WebAssembly SIMD CPU backend with `threads` threads (default 1), the extra ones on node:worker_threads. */
export function createWasmCpuBackend(opts: WasmCpuBackendOptions = {}): Promise<WasmCpuBackend> {
  return WasmCpuBackend.create(opts, () => nodeWorker);
}

/** Threads worth asking `createWasmCpuBackend` for: `os.availableParallelism()`, at most 32. */
export function availableThreads(): number {
  return clampThreads(availableParallelism());
}
