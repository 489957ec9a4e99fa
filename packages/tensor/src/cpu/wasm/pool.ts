// Worker threads that share the backend's memory and run one kernel call split into chunks of rows
// (or heads). No message per call: the caller writes the call into a control block in the shared
// memory, publishes its claim word and bumps a sequence word; then the caller and the workers claim
// chunks with a compare-exchange on the claim word, (chunks << 16) | next, run them, and count them
// done. The chunk count lives in the claim word itself, so a successful compare-exchange always
// claims a real chunk of the current call, whose arguments cannot change until that chunk is done:
// a worker reads them after claiming. A worker that wakes late (descheduled on a busy machine) finds
// no chunk left and touches nothing, so the caller never waits for a thread that has not started: it
// waits only for chunks in flight. Idle workers spin briefly on the sequence word, then sleep in
// Atomics.wait.
import type { Worker } from 'node:worker_threads';
import { KvkitError } from '../../errors.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';

/** Control block layout (i32 words). */
const W = {
  seq: 0,
  stop: 1,
  sleepers: 2,
  error: 3,
  /** (chunks << 16) | next chunk index. */
  claim: 4,
  done: 5,
  fn: 6,
  nargs: 7,
  r0Pos: 8,
  r1Pos: 9,
  scratchPos: 10,
  total: 11,
  chunk: 12,
  args: 16, // 16 words
  scratch: 32, // 1 word per thread
  words: 64,
} as const;
export const CONTROL_BYTES = W.words * 4;
export const MAX_THREADS = 32;
const MAX_CHUNKS = 0x7fff;

// CommonJS source run by each worker (eval: true), so it works from the TypeScript sources and the
// compiled package alike. It never returns to its event loop: it waits on the control block.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctl, index, fnNames, spinMicros } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = fnNames.map((n) => ex[n]);
const c = new Int32Array(memory.buffer, ctl, ${W.words});
const args = [];
let seen = Atomics.load(c, ${W.seq});
parentPort.postMessage('ready');
for (;;) {
  let s = Atomics.load(c, ${W.seq});
  if (s === seen) {
    const until = performance.now() + spinMicros / 1000;
    for (let i = 1; s === seen; i++) {
      if ((i & 1023) === 0 && performance.now() > until) {
        Atomics.add(c, ${W.sleepers}, 1);
        Atomics.wait(c, ${W.seq}, seen);
        Atomics.sub(c, ${W.sleepers}, 1);
      }
      s = Atomics.load(c, ${W.seq});
    }
  }
  seen = s;
  if (Atomics.load(c, ${W.stop})) break;
  for (;;) {
    const old = Atomics.load(c, ${W.claim});
    const chunks = old >>> 16;
    const chunk = old & 0xffff;
    if (chunk >= chunks) break;
    if (Atomics.compareExchange(c, ${W.claim}, old, old + 1) !== old) continue;
    // A real chunk of the current call: its arguments cannot change before this chunk is done.
    try {
      const n = c[${W.nargs}];
      args.length = n;
      for (let a = 0; a < n; a++) args[a] = c[${W.args} + a];
      if (c[${W.scratchPos}] >= 0) args[c[${W.scratchPos}]] = c[${W.scratch} + index];
      const r0 = chunk * c[${W.chunk}];
      args[c[${W.r0Pos}]] = r0;
      args[c[${W.r1Pos}]] = Math.min(c[${W.total}], r0 + c[${W.chunk}]);
      fns[c[${W.fn}]](...args);
    } catch (e) {
      Atomics.store(c, ${W.error}, 1);
      parentPort.postMessage(String((e && e.stack) || e));
    }
    if (Atomics.add(c, ${W.done}, 1) + 1 === chunks) Atomics.notify(c, ${W.done});
  }
}
`;

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
  readonly #workers: Worker[];
  readonly #ctl: Int32Array;
  readonly #fns: ((...a: number[]) => void)[];
  readonly #spinMicros: number;

  private constructor(threads: number, workers: Worker[], ctl: Int32Array, fns: ((...a: number[]) => void)[], spinMicros: number) {
    this.threads = threads;
    this.#workers = workers;
    this.#ctl = ctl;
    this.#fns = fns;
    this.#spinMicros = spinMicros;
  }

  /** Start threads - 1 workers over `memory` (shared), each instantiating `module`. */
  static async start(opts: {
    threads: number;
    module: WasmModule;
    memory: WasmMemory;
    ctl: number;
    fnNames: readonly string[];
    fns: ((...a: number[]) => void)[];
    spinMicros: number;
  }): Promise<ThreadPool> {
    const { threads, module, memory, ctl, fnNames, spinMicros } = opts;
    const c = new Int32Array(memory.buffer, ctl, W.words);
    c.fill(0);
    // Imported here, not at the top: the package stays loadable where worker_threads does not exist.
    const { Worker } = await import('node:worker_threads');
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 1; index < threads; index++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctl, index, fnNames: [...fnNames], spinMicros } });
      workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
          w.once('exit', (code) => reject(new KvkitError('WORKER_FAILED', `cpu-wasm worker ${index} exited with code ${code} before it started`)));
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw e;
    }
    for (const w of workers) {
      w.removeAllListeners();
      w.on('message', (m) => console.error(`cpu-wasm worker: ${String(m)}`));
      w.on('error', () => {});
      // Workers block in Atomics.wait between calls: never let them keep the process alive.
      w.unref();
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
      if ((i & 255) === 0 && performance.now() > until) Atomics.wait(c, W.done, done, 50);
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
    for (const w of this.#workers) void w.terminate();
    this.#workers.length = 0;
  }
}
