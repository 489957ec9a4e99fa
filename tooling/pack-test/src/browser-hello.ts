// The README hello world bundled for a page with Vite (default config, as a user would), served with
// cross-origin isolation and run in headless Chromium driven by playwright-core.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { execOk, tail } from './exec.js';
import { formatBytes } from './pack.js';
import { expect } from './report.js';
import { serveStatic } from './static-server.js';

export const CHROMIUM = process.env.KVKIT_CHROMIUM ?? '/usr/bin/chromium';
const PAGE_TIMEOUT_MS = 180_000;

const INDEX_HTML = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>kvkit hello world</title>
<script>window.kvkitDone = (...args) => { console.log(...args); document.documentElement.dataset.kvkitDone = 'true'; };</script>
</head>
<body><script type="module" src="./main.js"></script></body>
</html>
`;

function listFiles(dir: string, prefix = ''): { path: string; bytes: number }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [{ path: `${prefix}${e.name}`, bytes: statSync(join(dir, e.name)).size }],
  );
}

/** Builds `pageScript` with `vite build` in the project; the emitted files. */
async function viteBuild(dir: string, pageScript: string, env: NodeJS.ProcessEnv): Promise<{ out: string; files: { path: string; bytes: number }[]; log: string }> {
  const web = join(dir, 'web');
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), INDEX_HTML);
  writeFileSync(join(web, 'main.js'), pageScript);
  const r = await execOk('npx', ['vite', 'build', 'web', '--outDir', '../web-dist', '--emptyOutDir'], { cwd: dir, env, timeoutMs: 240_000 });
  const out = join(dir, 'web-dist');
  return { out, files: listFiles(out), log: (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '') };
}

export async function runBrowserHello(dir: string, pageScript: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set KVKIT_CHROMIUM; CI installs it`);
  const lines: string[] = [];
  const { out, files } = await viteBuild(dir, pageScript, env);
  const weights = files.filter((f) => f.path.endsWith('.safetensors'));
  lines.push(`vite build: ${files.length} files, ${formatBytes(files.reduce((s, f) => s + f.bytes, 0))}; model weights emitted as assets: ${weights.map((f) => `${f.path} (${formatBytes(f.bytes)})`).join(', ') || 'none'}`);
  expect(weights.length > 0, `vite build emitted no .safetensors asset: the \`new URL('../<model>/model.safetensors', import.meta.url)\` literals of @kvkit/models were not turned into assets. Emitted: ${files.map((f) => f.path).join(', ')}`);

  const server = await serveStatic(out);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const consoleLines: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    await page.goto(server.url);
    const failed = new Promise<never>((_, fail) => page.on('pageerror', (e) => fail(new Error(`page error: ${String(e)}`))));
    const marksDone = pageScript.includes('window.kvkitDone(');
    try {
      await Promise.race([
        marksDone
          ? page.waitForFunction(() => document.documentElement.dataset.kvkitDone === 'true', undefined, { timeout: PAGE_TIMEOUT_MS })
          : page.waitForFunction(() => (document.body.innerText.match(/[A-Za-z]{2,}/g) ?? []).length >= 3, undefined, { timeout: PAGE_TIMEOUT_MS }),
        failed,
      ]);
    } catch (e) {
      const text = await page.evaluate(() => document.body.innerText).catch(() => '(page gone)');
      throw new Error(
        `the page did not finish generating within ${PAGE_TIMEOUT_MS / 1000} s: ${(e as Error).message.split('\n')[0]}\npage text: ${tail(text, 500)}\nerrors: ${errors.join(' | ') || 'none'}\nconsole: ${tail(consoleLines.join('\n'), 1500)}\nrequests: ${tail(server.requests.join(', '), 1500)}`,
      );
    }
    const text = await page.evaluate(() => document.body.innerText);
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
    const words = text.match(/[A-Za-z]{2,}/g) ?? [];
    expect(errors.length === 0, `page errors: ${errors.join(' | ')}`);
    expect(words.length >= 3, `the page shows no generated text (fewer than 3 words): ${JSON.stringify(text)}`);
    lines.push(`Chromium (${browser.version()}), crossOriginIsolated ${isolated}: ${words.length} words in the page: ${JSON.stringify(tail(text.trim(), 160))}`);
    const weightRequests = server.requests.filter((r) => r.includes('.safetensors'));
    lines.push(`model requests: ${weightRequests.join(', ') || 'none'}`);
    return lines;
  } finally {
    await browser.close();
    await server.close();
  }
}
