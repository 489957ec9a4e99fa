// The module Web Worker of browser.test.ts: runs the checks with the threads the page sends.
import { runChecks } from './checks.js';

const self_ = globalThis as unknown as { onmessage: ((e: { data: number }) => void) | null; postMessage(m: unknown): void };
self_.onmessage = (e) => {
  runChecks(e.data).then(
    (result) => self_.postMessage({ result }),
    (err: unknown) => self_.postMessage({ error: String((err as Error)?.stack ?? err) }),
  );
};
