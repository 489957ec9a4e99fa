// The backend in real headless Chromium (--enable-unsafe-webgpu, SwiftShader without a GPU), driven
// by playwright-core: a page bundled by esbuild runs conformance-style checks against the CPU backend
// and stories260K greedy decoding, fetching the GGUF from a local server.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import { loadModel } from '@kvkit/loaders/node';
import { argmax, LlamaModel, Session } from '@kvkit/runtime';
import { CpuBackend } from '@kvkit/tensor';
import type { PageResult } from './browser/page.js';
import { skipSuite } from './gpu.js';

const CHROMIUM = process.env.KVKIT_CHROMIUM ?? '/usr/bin/chromium';
const GGUF = sharedFixture('models/stories260K/stories260K.gguf');
const STEPS = 256;
/** WebGPU on, and SwiftShader's Vulkan where there is no GPU driver. */
const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--no-sandbox'];

/** Node built-ins (only reached by loaders' loadModel(path), unused in the page) become a throwing stub. */
const nodeStub: Plugin = {
  name: 'node-stub',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({
      contents: 'module.exports = new Proxy({}, { get: (_, k) => () => { throw new Error("Node API " + String(k) + " is not available in the browser"); } });',
      loader: 'js',
    }));
  },
};

async function cpuGreedy(n: number): Promise<number[]> {
  const loaded = await loadModel(GGUF);
  using model = LlamaModel.load(new CpuBackend(), loaded);
  using session = new Session(model);
  const tokens: number[] = [];
  let last = await session.append([loaded.config.bosId]);
  for (let i = 0; i < n; i++) {
    const best = argmax(last);
    tokens.push(best);
    if (i + 1 < n) last = await session.append([best]);
  }
  return tokens;
}

if (!existsSync(CHROMIUM)) skipSuite('webgpu in headless Chromium', `${CHROMIUM} is missing (apt-get install -y chromium)`);
else {
  describe('webgpu in headless Chromium (playwright-core)', () => {
    it(`passes the checks and decodes stories260K greedily (${STEPS} tokens) like the CPU backend`, async () => {
      const bundle = await build({
        entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        write: false,
        plugins: [nodeStub],
        logLevel: 'silent',
      });
      const js = bundle.outputFiles[0]!.contents;
      const model = readFileSync(GGUF);
      const server = createServer((req, res) => {
        if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
        else if (req.url === '/model.gguf') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(model);
        else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/bundle.js"></script>');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        await page.waitForFunction(() => 'kvkitRun' in globalThis, undefined, { timeout: 30_000 });
        const result = (await page.evaluate(
          ([url, steps]) => (globalThis as unknown as { kvkitRun: (u: string, n: number) => Promise<unknown> }).kvkitRun(url, steps),
          ['/model.gguf', STEPS] as const,
        )) as PageResult;
        expect(errors).toEqual([]);
        if (result.skip) {
          console.warn(`[@kvkit/webgpu] SKIPPED browser checks: ${result.skip}`);
          return;
        }
        console.log(`[@kvkit/webgpu] Chromium adapter '${result.adapter}': ${result.checks.length} checks, ${STEPS} tokens, max |logit difference| ${result.maxLogitDiff.toExponential(2)}, ${result.submits} submits`);
        for (const c of result.checks) expect(c.maxError, c.name).toBeLessThanOrEqual(c.tolerance);
        expect(result.gpuTokens).toEqual(result.cpuTokens);
        expect(result.gpuTokens).toEqual(await cpuGreedy(STEPS));
        expect(result.maxLogitDiff).toBeLessThan(1e-4);
        expect(result.submits).toBe(STEPS);
      } finally {
        await browser.close();
        server.close();
      }
    });
  });
}
