// Pool workers on node:worker_threads (reached only from the `@kvkit/tensor/node` entry). Each worker
// evaluates the loop's source (CommonJS, eval: true), so it runs from the TypeScript sources and the
// compiled package alike.
import { Worker } from 'node:worker_threads';
import { KvkitError } from '../../errors.js';
import type { PoolWorker, PoolWorkerInit } from './pool.js';
import { WORKER_LOOP } from './worker-loop.js';

const SOURCE = `${WORKER_LOOP}
const { workerData, parentPort } = require('node:worker_threads');
poolWorker(workerData, (m) => parentPort.postMessage(m));
`;

export function nodeWorker(init: PoolWorkerInit): PoolWorker {
  const w = new Worker(SOURCE, { eval: true, workerData: init });
  const ready = new Promise<void>((resolve, reject) => {
    w.once('message', () => {
      w.removeAllListeners();
      // After 'ready' a message is a kernel's error (the caller throws WORKER_FAILED pointing here).
      w.on('message', (m) => console.error(`cpu-wasm worker: ${String(m)}`));
      w.on('error', () => {});
      // Workers block in Atomics.wait between calls: never let them keep the process alive.
      w.unref();
      resolve();
    });
    w.once('error', (e) => reject(new KvkitError('WORKER_FAILED', `cpu-wasm worker ${init.index} failed to start: ${String(e)}`, { cause: e })));
    w.once('exit', (code) => reject(new KvkitError('WORKER_FAILED', `cpu-wasm worker ${init.index} exited with code ${code} before it started`)));
  });
  return { ready, terminate: () => void w.terminate() };
}
