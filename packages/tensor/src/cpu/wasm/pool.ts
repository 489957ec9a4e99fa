// Worker threads that share the backend's memory and run one kernel call split into chunks of rows
// (or heads). No message per call: the caller writes the call into a control block in the shared
// memory, publishes its claim word and bumps a sequence word; then the caller and the workers claim
// chunks with a compare-exchange on the claim word, (chunks << 16) | next, run them, and count them
// done. The chunk count lives in the claim word itself, so a successful compare-exchange always
// claims a real chunk of the current call, whose arguments cannot change until that chunk is done:
// a worker reads them after claiming. A worker that wakes late (descheduled on a busy machine) finds
// no chunk left and touches nothing, so the caller never waits for a thread that has not started: it
// waits only for chunks in flight. Idle workers spin briefly on the sequence word, then sleep in
// Atomics.wait. Where the workers come from (node:worker_threads, Web Workers) is the factory's business:
// this file runs in both.
import { KvkitError } from '../../errors.js';
import { MAX_CHUNKS, W } from './control-block.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';

export const MAX_THREADS = 32;

/** What a worker receives: everything is structured-cloneable (the module, the shared memory). */
export interface PoolWorkerInit {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  /** Byte offset of the control block in `memory`. */
  readonly ctl: number;
  /** Thread index (1.. threads - 1; the caller is 0): picks the worker's scratch slice. */
  readonly index: number;
  readonly fnNames: string[];
  readonly spinMicros: number;
}

/** A started worker running the loop of worker-loop.ts. */
export interface PoolWorker {
  /** Resolves once the worker has instantiated the module and entered its loop; rejects with a KvkitError if it failed to. */
  readonly ready: Promise<void>;
  terminate(): void;
}

/** Starts one worker thread (node:worker_threads in Node, a Web Worker in browsers). */
export type PoolWorkerFactory = (init: PoolWorkerInit) => PoolWorker;

/**
 * Where a backend's workers come from in this context: a factory, or (as `fallback`) why it runs one
 * thread instead. May throw a KvkitError where asking for threads is a mistake to fix.
 */
export type WorkerSource = () => PoolWorkerFactory | { readonly fallback: string };

/** Whether this thread may block in Atomics.wait (a browser's main thread may not: it throws). */
function canBlock(c: Int32Array): boolean {
  try {
    Atomics.wait(c, W.stop, 1, 0); // the stop word is 0: returns 'not-equal' at once where waiting is allowed
    return true;
  } catch {
    return false;
  }
}

export interface PoolCall {
  /** Index into the pool's function names. */
  readonly fn: number;
  readonly args: readonly number[];
  /** Positions in `args` of the range [r0, r1) each chunk fills in. */
  readonly r0Pos: number;
  readonly r1Pos: number;
  /** Argument that receives each thread's scratch pointer (-1: none). */
  readonly scratchPos: number;
  /** Scratch pointer of each thread (thread 0 is the caller). */
  readonly scratch?: readonly number[];
  /** Split [0, total) into chunks of `chunk` (the last may be shorter). */
  readonly total: number;
  readonly chunk: number;
}

export class ThreadPool {
  readonly threads: number;
  readonly #workers: PoolWorker[];
  readonly #ctl: Int32Array;
  readonly #fns: ((...a: number[]) => void)[];
  readonly #spinMicros: number;
  /** False on a browser's main thread: the caller then spins while workers finish their chunks. */
  readonly #canBlock: boolean;

  private constructor(threads: number, workers: PoolWorker[], ctl: Int32Array, fns: ((...a: number[]) => void)[], spinMicros: number) {
    this.threads = threads;
    this.#workers = workers;
    this.#ctl = ctl;
    this.#fns = fns;
    this.#spinMicros = spinMicros;
    this.#canBlock = canBlock(ctl);
  }

  /** Start threads - 1 workers from `factory` over `memory` (shared), each instantiating `module`. */
  static async start(opts: {
    threads: number;
    factory: PoolWorkerFactory;
    module: WasmModule;
    memory: WasmMemory;
    ctl: number;
    fnNames: readonly string[];
    fns: ((...a: number[]) => void)[];
    spinMicros: number;
  }): Promise<ThreadPool> {
    const { threads, factory, module, memory, ctl, fnNames, spinMicros } = opts;
    const c = new Int32Array(memory.buffer, ctl, W.words);
    c.fill(0);
    const workers: PoolWorker[] = [];
    try {
      for (let index = 1; index < threads; index++) workers.push(factory({ module, memory, ctl, index, fnNames: [...fnNames], spinMicros }));
      await Promise.all(workers.map((w) => w.ready));
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e instanceof KvkitError ? e : new KvkitError('WORKER_FAILED', `cpu-wasm could not start its worker threads: ${String(e)}`, { cause: e });
    }
    return new ThreadPool(threads, workers, c, opts.fns, spinMicros);
  }

  /** Run a call across the threads; returns when every chunk is done. */
  run(call: PoolCall): void {
    const c = this.#ctl;
    const chunks = Math.ceil(call.total / call.chunk);
    if (chunks > MAX_CHUNKS) throw new KvkitError('INVALID_ARGUMENT', `cpu-wasm pool: ${chunks} chunks exceed ${MAX_CHUNKS}`);
    c[W.fn] = call.fn;
    c[W.nargs] = call.args.length;
    for (let a = 0; a < call.args.length; a++) c[W.args + a] = call.args[a]!;
    c[W.r0Pos] = call.r0Pos;
    c[W.r1Pos] = call.r1Pos;
    c[W.scratchPos] = call.scratchPos;
    if (call.scratch) for (let t = 0; t < this.threads; t++) c[W.scratch + t] = call.scratch[t]!;
    c[W.total] = call.total;
    c[W.chunk] = call.chunk;
    Atomics.store(c, W.done, 0);
    Atomics.store(c, W.claim, chunks << 16);
    Atomics.add(c, W.seq, 1);
    if (Atomics.load(c, W.sleepers) > 0) Atomics.notify(c, W.seq);
    // The caller claims chunks too.
    const args = call.args.slice();
    if (call.scratchPos >= 0 && call.scratch) args[call.scratchPos] = call.scratch[0]!;
    const fn = this.#fns[call.fn]!;
    let failure: unknown;
    for (;;) {
      const old = Atomics.load(c, W.claim);
      const chunk = old & 0xffff;
      if (chunk >= chunks) break;
      if (Atomics.compareExchange(c, W.claim, old, old + 1) !== old) continue;
      const r0 = chunk * call.chunk;
      args[call.r0Pos] = r0;
      args[call.r1Pos] = Math.min(call.total, r0 + call.chunk);
      try {
        fn(...args);
      } catch (e) {
        failure ??= e;
      }
      Atomics.add(c, W.done, 1);
    }
    // Wait for the chunks the workers hold.
    const until = performance.now() + this.#spinMicros / 1000;
    for (let i = 1; ; i++) {
      const done = Atomics.load(c, W.done);
      if (done === chunks) break;
      if (this.#canBlock && (i & 255) === 0 && performance.now() > until) Atomics.wait(c, W.done, done, 50);
    }
    if (failure) throw failure;
    if (Atomics.load(c, W.error)) {
      Atomics.store(c, W.error, 0);
      throw new KvkitError('WORKER_FAILED', 'a cpu-wasm worker failed in a kernel (its error is on stderr)');
    }
  }

  dispose(): void {
    const c = this.#ctl;
    Atomics.store(c, W.stop, 1);
    Atomics.add(c, W.seq, 1);
    Atomics.notify(c, W.seq);
    for (const w of this.#workers) w.terminate();
    this.#workers.length = 0;
  }
}
