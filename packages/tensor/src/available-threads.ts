// How many threads the WASM CPU backend of this entry can run here (browser-safe; the Node version
// is in node.ts).
import { MAX_THREADS } from './cpu/wasm/pool.js';

interface WebGlobals {
  Worker?: unknown;
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
}

/** Clamp a core count to what `createWasmCpuBackend({ threads })` accepts. */
export function clampThreads(n: number | undefined): number {
  return Number.isInteger(n) && n! >= 1 ? Math.min(n!, MAX_THREADS) : 1;
}

/**
 * Threads worth asking `createWasmCpuBackend` for: `navigator.hardwareConcurrency` (at most 32) in a
 * cross-origin isolated page or worker, else 1 (without isolation there is no shared memory, and in
 * Node this entry runs no workers: use `availableThreads` from '@kvkit/tensor/node').
 */
export function availableThreads(): number {
  const g = globalThis as WebGlobals;
  if (g.crossOriginIsolated !== true || typeof g.Worker !== 'function') return 1;
  return clampThreads(g.navigator?.hardwareConcurrency);
}
