// Where the WASM backend's worker threads come from in Node: the '@kvkit/tensor/node' entry runs them
// on node:worker_threads; the browser-safe main entry refuses threads > 1 with an error naming that
// entry (its Web Worker path is tested in headless Chromium by browser.test.ts).
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as main from '../src/index.js';
import * as node from '../src/node.js';

describe('WASM backend threads in Node', () => {
  it("the main entry's createWasmCpuBackend refuses threads > 1 with THREADS_UNAVAILABLE naming '@kvkit/tensor/node'", async () => {
    const err = await main.createWasmCpuBackend({ threads: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(main.ThreadsUnavailableError);
    expect(err).toBeInstanceOf(main.KvkitError);
    expect((err as main.KvkitError).code).toBe('THREADS_UNAVAILABLE');
    expect((err as Error).message).toContain("'@kvkit/tensor/node'");
  });

  it('the main entry runs one thread in Node, and says 1 is available there', async () => {
    using be = await main.createWasmCpuBackend({ threads: 1 });
    expect(be.threads).toBe(1);
    expect(be.singleThreadReason).toBeUndefined();
    expect(main.availableThreads()).toBe(1);
  });

  it('the node entry runs the threads asked for, and computes what one thread computes', async () => {
    using one = await node.createWasmCpuBackend({ threads: 1 });
    using two = await node.createWasmCpuBackend({ threads: 2, minParallelWork: 1 });
    expect(two.threads).toBe(2);
    expect(two.singleThreadReason).toBeUndefined();
    const [n, k] = [64, 256];
    const w = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i) / 16);
    const x = Float32Array.from({ length: 2 * k }, (_, i) => Math.cos(i));
    const results: Float32Array[] = [];
    for (const be of [one, two]) {
      const out = be.tensor('f32', [2, n]);
      be.matmul(out, be.tensor('f32', [2, k], x), be.tensor('q8_0', [n, k], main.encode('q8_0', w)));
      results.push(await be.read(out));
    }
    expect(results[1]).toEqual(results[0]); // rows are split across threads, each computed the same way
  });

  it("the node entry's availableThreads is os.availableParallelism() up to the backend's 32", () => {
    expect(node.availableThreads()).toBe(Math.min(availableParallelism(), 32));
    expect(node.createWasmCpuBackend).not.toBe(main.createWasmCpuBackend);
    expect(node.encode).toBe(main.encode); // everything else is the main entry's
  });
});
