// Snapshot stores in real headless Chromium (Debian's /usr/bin/chromium via playwright-core): a page
// bundled by esbuild from the runtime's browser-safe main entry saves a real snapshot in OPFS and in
// IndexedDB, a second page of the same origin reads it back byte for byte, and the bytes restore in
// Node into a session that continues as the original. Sizes are listed; maxBytes gives a typed quota error.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend } from '@kvkit/tensor';
import { LlamaModel, Session } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';
import { greedy } from './snapshot-roundtrip.js';

const CHROMIUM = process.env.KVKIT_CHROMIUM ?? '/usr/bin/chromium';

type Api = {
  save(kind: string, data: number[], maxBytes: number): Promise<{ entry: { key: string; size: number }; tooBig: unknown; badKey: unknown; list: { key: string; size: number }[]; usage: { bytes: number; maxBytes: number; originQuota?: number } }>;
  load(kind: string): Promise<{ bytes: number[] | null; missing: null }>;
  remove(kind: string): Promise<{ first: boolean; second: boolean; list: unknown[] }>;
};

if (!existsSync(CHROMIUM)) {
  console.warn(`[@kvkit/runtime] SKIPPED snapshot stores in headless Chromium: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  describe.skip(`snapshot stores in headless Chromium (skipped: ${CHROMIUM} is missing)`, () => {
    it('needs Chromium', () => {});
  });
} else {
  describe('snapshot stores in headless Chromium (playwright-core)', () => {
    it.each(['opfs', 'indexeddb'])('%s: put, list with sizes, quota error, read back after a reload, delete', async (kind) => {
      const model = LlamaModel.load(new CpuBackend(), await loadModel(`${STORIES}stories260K.bin`));
      const prompt = [1, ...reference.generated_ids.slice(0, 29)];
      using original = new Session(model, { kvDtype: 'int8', policy: { policy: { kind: 'h2o' }, budget: { budget: 20 } } });
      const head = await greedy(original, prompt, 10);
      const bytes = await original.snapshot();

      const out = await build({
        entryPoints: [fileURLToPath(new URL('./browser/store-page.ts', import.meta.url))],
        bundle: true,
        format: 'esm',
        platform: 'browser', // a node: import reachable from the main entry fails this build
        target: 'es2022',
        external: ['@kvkit/webgpu', 'webgpu'],
        write: false,
        logLevel: 'silent',
      });
      const pageJs = out.outputFiles[0]!.contents;
      const server = createServer((req, res) => {
        if (req.url!.endsWith('/page.js')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(pageJs);
        else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="page.js"></script>');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const context = await browser.newContext();
        const call = async <K extends keyof Api>(method: K, ...args: Parameters<Api[K]>): Promise<Awaited<ReturnType<Api[K]>>> => {
          const page = await context.newPage();
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(String(e)));
          await page.goto(`${origin}/`);
          await page.waitForFunction(() => 'kvkitStore' in globalThis, undefined, { timeout: 60_000 });
          const r = await page.evaluate(([m, a]) => (globalThis as unknown as { kvkitStore: Record<string, (...x: unknown[]) => unknown> }).kvkitStore[m as string]!(...(a as unknown[])), [method, args] as const);
          expect(errors).toEqual([]);
          await page.close();
          return r as Awaited<ReturnType<Api[K]>>;
        };
        const maxBytes = bytes.length + 1000;
        const saved = await call('save', kind, Array.from(bytes), maxBytes);
        expect(saved.entry).toMatchObject({ key: 'chat-1', size: bytes.length });
        expect(saved.list.map((e) => [e.key, e.size])).toEqual([['chat-1', bytes.length]]);
        expect(saved.usage).toMatchObject({ bytes: bytes.length, maxBytes });
        expect(saved.usage.originQuota).toBeGreaterThan(0);
        expect(saved.tooBig).toEqual({ name: 'SnapshotQuotaError', code: 'SNAPSHOT_QUOTA', needed: 1001, available: 1000 });
        expect(saved.badKey).toMatchObject({ code: 'INVALID_ARGUMENT' });

        const loaded = await call('load', kind);
        expect(loaded.missing).toBeNull();
        const back = Uint8Array.from(loaded.bytes!);
        expect(back).toEqual(bytes);
        using restored = Session.restore(model, back);
        const last = [head.at(-1)!];
        expect(await greedy(restored, last, 10)).toEqual(await greedy(original, last, 10));

        expect(await call('remove', kind)).toEqual({ first: true, second: false, list: [] });
      } finally {
        await browser.close();
        server.close();
        model.dispose();
      }
    });
  });
}
