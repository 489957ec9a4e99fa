// The page's side of the worker protocol: requests get ids, answers are routed back to their request.
import type { ErrorMessage, FromWorker, ToWorker } from './protocol.js';

type Request = ToWorker extends infer T ? (T extends { type: 'abort' } ? never : T extends unknown ? Omit<T, 'id'> : never) : never;

/** A request the worker answered with a typed error. */
export class WorkerRequestError extends Error {
  readonly code: string;
  readonly errorName: string;
  constructor(e: ErrorMessage) {
    super(e.message);
    this.code = e.code;
    this.errorName = e.name;
  }
}

const TERMINAL = new Set<FromWorker['type']>(['loaded', 'done', 'needle-done', 'error']);

export class InferenceClient {
  readonly #worker: Worker;
  readonly #handlers = new Map<number, (m: FromWorker) => void>();
  #nextId = 1;

  constructor() {
    this.#worker = new Worker(new URL('./worker/inference.worker.ts', import.meta.url), { type: 'module', name: 'kvkit-inference' });
    this.#worker.onmessage = (e: MessageEvent<FromWorker>) => this.#handlers.get(e.data.id)?.(e.data);
    // A worker that fails outside a request (it could not start, or ran out of memory) ends every request.
    this.#worker.onerror = (e: ErrorEvent) => {
      const error = { code: 'WORKER_FAILED', name: 'WorkerError', message: `the inference worker failed: ${e.message || 'unknown error'}; reload the page` };
      for (const [id, handler] of [...this.#handlers]) handler({ type: 'error', id, error });
    };
  }

  /**
   * Send a request; `onMessage` sees each answer (progress, chunks, stats). The promise settles with
   * the final answer, or rejects with a `WorkerRequestError`.
   */
  request(req: Request, onMessage: (m: FromWorker) => void = () => {}): { id: number; done: Promise<FromWorker> } {
    const id = this.#nextId++;
    const done = new Promise<FromWorker>((resolve, reject) => {
      this.#handlers.set(id, (m) => {
        if (!TERMINAL.has(m.type)) return onMessage(m);
        this.#handlers.delete(id);
        if (m.type === 'error') reject(new WorkerRequestError(m.error));
        else {
          onMessage(m);
          resolve(m);
        }
      });
    });
    this.#worker.postMessage({ ...req, id } as ToWorker);
    return { id, done };
  }

  abort(id: number): void {
    this.#worker.postMessage({ type: 'abort', id } satisfies ToWorker);
  }
}
