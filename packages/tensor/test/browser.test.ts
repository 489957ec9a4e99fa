// WASM threads in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): a
// page bundled by esbuild from the browser-safe main entry, served from 127.0.0.1. Cross-origin
// isolated (COOP same-origin + COEP require-corp), threads: 2 runs 2 threads on the page's main thread
// (which may not block in Atomics.wait, so it spins) and inside a module Web Worker (nested workers);
// without the headers the backend falls back to 1 thread and says why. Every output must equal the
// 1-thread output exactly and match float64 references.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../src/index.js';
import { ATTN, ATTN_CAP, attnK, attnPageTable, attnPositions, attnQ, attnV, MATMUL, matmulW, matmulX } from './browser/cases.js';
import type { ContextResult, Outputs } from './browser/checks.js';
import type { PageResult } from './browser/page.js';

const CHROMIUM = process.env.KVKIT_CHROMIUM ?? '/usr/bin/chromium';
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const TOLERANCE = 1e-4;

function matmulRef(w: Float32Array): Float64Array {
  const { m, n, k } = MATMUL;
  const x = matmulX();
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += x[i * k + t]! * w[j * k + t]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

function attentionRef(): Float64Array {
  const { nHeads, nKvHeads, d, pageSize, pagesPerHead, scale, lengths, queryPositions } = ATTN;
  const [q, k, v, table, positions] = [attnQ(), attnK(), attnV(), attnPageTable(), attnPositions()];
  const out = new Float64Array(queryPositions.length * nHeads * d);
  for (let i = 0; i < queryPositions.length; i++) {
    for (let h = 0; h < nHeads; h++) {
      const kh = Math.floor(h / (nHeads / nKvHeads));
      const qo = (i * nHeads + h) * d;
      const rows: number[] = [];
      const scores: number[] = [];
      for (let j = 0; j < lengths[kh]!; j++) {
        if (positions[kh * ATTN_CAP + j]! > queryPositions[i]!) continue;
        const row = table[kh * pagesPerHead + Math.floor(j / pageSize)]! * pageSize + (j % pageSize);
        let s = 0;
        for (let c = 0; c < d; c++) s += q[qo + c]! * k[row * d + c]!;
        rows.push(row);
        scores.push(s * scale);
      }
      const max = Math.max(...scores);
      const p = scores.map((s) => Math.exp(s - max));
      const sum = p.reduce((a, b) => a + b, 0);
      for (let r = 0; r < rows.length; r++) for (let c = 0; c < d; c++) out[qo + c] += (p[r]! / sum) * v[rows[r]! * d + c]!;
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

/** Outputs of a context: identical to its 1-thread backend's, and within TOLERANCE of float64. */
function expectCorrect(where: string, r: ContextResult): void {
  const refs: Record<keyof Outputs, Float64Array> = {
    matmulF32: matmulRef(matmulW()),
    matmulQ8: matmulRef(decode('q8_0', encode('q8_0', matmulW()), MATMUL.n * MATMUL.k)),
    attention: attentionRef(),
  };
  for (const key of Object.keys(refs) as (keyof Outputs)[]) {
    expect(r.threaded[key], `${where} ${key}: ${r.threads} threads vs 1`).toEqual(r.oneThread[key]);
    expect(maxAbsDiff(r.threaded[key], refs[key]), `${where} ${key} vs float64`).toBeLessThan(TOLERANCE);
  }
}

if (!existsSync(CHROMIUM)) {
  console.warn(`[@kvkit/tensor] SKIPPED WASM threads in headless Chromium: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  describe.skip(`WASM threads in headless Chromium (skipped: ${CHROMIUM} is missing)`, () => {
    it('needs Chromium', () => {});
  });
} else {
  describe('WASM threads in headless Chromium (playwright-core)', () => {
    it('runs 2 threads on a cross-origin isolated page and in its module worker, 1 thread without isolation, with exact results', async () => {
      const bundle = async (entry: string) => {
        const out = await build({
          entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
          bundle: true,
          format: 'esm',
          platform: 'browser', // a node: import in the main entry's graph fails this build
          target: 'es2022',
          write: false,
          logLevel: 'silent',
        });
        return out.outputFiles[0]!.contents;
      };
      const [pageJs, workerJs] = await Promise.all([bundle('./browser/page.ts'), bundle('./browser/worker.ts')]);
      // /isolated/* is served with the isolation headers, /plain/* without.
      const server = createServer((req, res) => {
        const headers = req.url!.startsWith('/isolated/') ? ISOLATION : {};
        if (req.url!.endsWith('/page.js')) res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(pageJs);
        else if (req.url!.endsWith('/worker.js')) res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(workerJs);
        else res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="page.js"></script>');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      try {
        const open = async (path: string, workerUrl?: string): Promise<PageResult> => {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(String(e)));
          await page.goto(`${origin}${path}`);
          await page.waitForFunction(() => 'kvkitRun' in globalThis, undefined, { timeout: 60_000 });
          const result = (await page.evaluate(
            ([threads, url]) => (globalThis as unknown as { kvkitRun: (t: number, u?: string) => Promise<unknown> }).kvkitRun(threads, url),
            [2, workerUrl] as const,
          )) as PageResult;
          expect(errors, `page errors at ${path}`).toEqual([]);
          await page.close();
          return result;
        };

        const isolated = await open('/isolated/', '/isolated/worker.js');
        const { page, worker } = isolated;
        expect(page.crossOriginIsolated).toBe(true);
        expect(page.canWait).toBe(false); // the main thread's pool waits for its workers by spinning
        expect(page.threads).toBe(2);
        expect(page.singleThreadReason).toBeUndefined();
        expect(page.availableThreads).toBe(Math.min(page.hardwareConcurrency, 32));
        expectCorrect('isolated page main thread', page);
        expect(worker!.crossOriginIsolated).toBe(true);
        expect(worker!.canWait).toBe(true);
        expect(worker!.threads).toBe(2);
        expect(worker!.singleThreadReason).toBeUndefined();
        expectCorrect('module worker of the isolated page', worker!);
        expect(worker!.threaded).toEqual(page.threaded);

        const { page: plain } = await open('/plain/');
        expect(plain.crossOriginIsolated).toBe(false);
        expect(plain.threads).toBe(1);
        expect(plain.singleThreadReason).toMatch(/2 threads asked for, 1 runs: .*cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
        expect(plain.availableThreads).toBe(1);
        expectCorrect('non-isolated page', plain);
      } finally {
        await browser.close();
        server.close();
      }
    }, 180_000);
  });
}
