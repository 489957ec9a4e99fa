// The built demo (`vite build` -> dist/) in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), served with the cross-origin isolation headers. The page's text and bytes are
// checked against @kvkit/runtime run in Node on the CPU reference backend. Screenshots of each view go
// to test-output/screenshots/ (not committed; docs/demo/ holds a committed set).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import { cpuGenerate, longPrompt } from './reference.js';
import { serveStatic } from './static-server.js';

const CHROMIUM = process.env.KVKIT_CHROMIUM ?? '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const SHOTS = fileURLToPath(new URL('../test-output/screenshots/', import.meta.url));
const PROMPT = 'Once upon a time, there was a little dog named Max.';
/** WebGPU on, through SwiftShader where there is no GPU: 'auto' must see a software adapter and pass it over. */
const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--no-sandbox'];
/** Generation and model loads on a loaded 2-core machine: generous, never a speed test. */
const WAIT = 90_000;

if (!existsSync(`${DIST}index.html`)) throw new Error(`the demo is not built: run \`pnpm --filter @kvkit/demo build\` first (${DIST}index.html is missing)`);
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set KVKIT_CHROMIUM)`);

let browser: Browser;
let server: Server;
let origin: string;
let hits: Map<string, number>;
let page: Page;
const pageErrors: string[] = [];

const byId = (id: string) => page.locator(`[data-testid="${id}"]`);
const text = async (id: string) => (await byId(id).textContent()) ?? '';

async function openPage(query = ''): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  await p.goto(`${origin}/${query}`);
  return p;
}

async function waitReady(p: Page = page): Promise<void> {
  await p.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'ready', undefined, { timeout: WAIT });
}

async function shot(name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

async function setSettings(s: { policy?: string; budget?: string; maxTokens?: number; prompt?: string; model?: string }): Promise<void> {
  if (s.policy !== undefined) await byId('policy').selectOption(s.policy);
  if (s.budget !== undefined) await byId('budget').fill(s.budget);
  if (s.maxTokens !== undefined) await byId('max-tokens').fill(String(s.maxTokens));
  if (s.prompt !== undefined) await byId('prompt').fill(s.prompt);
}

async function generate(): Promise<string> {
  await byId('generate').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent !== 'ready', undefined, { timeout: 5_000 }).catch(() => {});
  await waitReady();
  return text('output');
}

/** Runs `action` with the error box cleared, then waits for the message it shows and for the page to be idle. */
async function errorAfter(action: () => Promise<unknown>): Promise<string> {
  await page.evaluate(() => {
    const box = document.querySelector<HTMLElement>('.error-box')!;
    box.hidden = true;
    document.querySelector('[data-testid="error"]')!.textContent = '';
  });
  await action();
  await page.waitForFunction(() => (document.querySelector('[data-testid="error"]')?.textContent ?? '') !== '', undefined, { timeout: WAIT });
  await waitReady();
  return text('error');
}

describe('the demo app in headless Chromium', () => {
  beforeAll(async () => {
    ({ server, origin, hits } = await serveStatic(DIST, { isolated: true }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await openPage();
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('loads the default model in a module worker, on WASM with threads in the isolated page', async () => {
    await waitReady();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const info = await text('backend-info');
    // SwiftShader is the only WebGPU adapter here: 'auto' must pick WASM and say why.
    expect(info).toMatch(/^gqa \(hf, 8 layers, 4 heads \/ 2 KV heads\) on wasm · (\d+) threads · no hardware GPU: (the WebGPU adapter is a software renderer|no WebGPU adapter)/);
    expect(Number(/· (\d+) threads/.exec(info)![1])).toBeGreaterThan(1);
    expect(await byId('model').inputValue()).toBe('gqa');
    await shot('1-first-load');
  });

  it('keeps the downloaded model in Cache Storage: a reload does not download it again', async () => {
    const weights = () => [...hits].filter(([path]) => path.endsWith('.safetensors'));
    expect(weights()).toEqual([[expect.stringMatching(/^\/assets\/model-.*\.safetensors$/), 1]]);
    await page.reload();
    await waitReady();
    expect(await text('backend-info')).toMatch(/^gqa /);
    expect(weights().map(([, n]) => n)).toEqual([1]);
    expect(await page.evaluate(async () => (await (await caches.open('kvkit-models')).keys()).map((r) => new URL(r.url).pathname))).toEqual(
      expect.arrayContaining([expect.stringMatching(/\.safetensors$/), expect.stringMatching(/tokenizer.*\.json$/)]),
    );
  });

  it('a first visit generates with the defaults: StreamingLLM at 48 tokens evicts the middle while decoding', async () => {
    expect(await byId('policy').inputValue()).toBe('streaming');
    const ref = await cpuGenerate(PROMPT, 96, { policy: 'streaming', budget: 48 });
    expect(await generate()).toBe(ref.text);
    expect(Number(await text('cache-bytes'))).toBe(ref.bytesUsed);
    expect(ref.bytesUsed).toBeLessThan(ref.fullBytes);
    await shot('2-first-generation-streaming-48');
  });

  it('generates greedily the same text as @kvkit/runtime on the CPU backend in Node', async () => {
    const ref = await cpuGenerate(PROMPT, 64);
    await setSettings({ policy: 'full', maxTokens: 64, prompt: PROMPT });
    expect(await generate()).toBe(ref.text);
    expect(await byId('output').getAttribute('data-tokens')).toBe(ref.tokens.join(','));
    expect(await text('finish-reason')).toBe('length');
    expect(Number(await text('tokens-per-second'))).toBeGreaterThan(0);
    // Full cache: every token of the sequence is held.
    expect(Number(await text('cache-bytes'))).toBe(ref.bytesUsed);
    expect(Number(await text('cache-bytes'))).toBe(Number(await text('full-bytes')));
    await shot('3-generate-full-cache');
  });

  it('SnapKV at budget 32: cache-bytes is the session\'s own stats and below the full cache', async () => {
    const prompt = longPrompt();
    const ref = await cpuGenerate(prompt, 16, { policy: 'snapkv', budget: 32 });
    await setSettings({ policy: 'snapkv', budget: '32', maxTokens: 16, prompt });
    expect(await generate()).toBe(ref.text);
    const bytes = Number(await text('cache-bytes'));
    expect(bytes).toBe(ref.bytesUsed);
    expect(Number(await text('full-bytes'))).toBe(ref.fullBytes);
    expect(bytes).toBeLessThan(ref.fullBytes);
    // The kept text marks evicted prompt tokens.
    expect(await page.locator('[data-testid="kept-text"] .gone').count()).toBeGreaterThan(100);
    await byId('heatmap').hover({ position: { x: 200, y: 20 } });
    await shot('4-cache-view-snapkv-32');
  });

  it('stops a generation, and the session generates again', async () => {
    await setSettings({ policy: 'full', maxTokens: 1500, prompt: PROMPT });
    await byId('generate').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="output"]')?.textContent ?? '').length > 20, undefined, { timeout: WAIT });
    // The page stays usable while the worker computes: typing goes into the box at once.
    await byId('prompt').fill(`${PROMPT} `);
    expect(await byId('prompt').inputValue()).toBe(`${PROMPT} `);
    await byId('stop').click();
    await waitReady();
    expect(await text('finish-reason')).toBe('aborted');
    const generated = Number(await text('generated-tokens'));
    expect(generated).toBeGreaterThan(0);
    expect(generated).toBeLessThan(1500);
    const ref = await cpuGenerate(PROMPT, 64);
    await setSettings({ maxTokens: 64, prompt: PROMPT });
    expect(await generate()).toBe(ref.text);
  });

  it('the needle playground answers correctly with the full cache, and recommends a cache for a byte budget', async () => {
    await byId('tab-needle').click();
    // Defaults: 512 tokens, depth 0.5, seed 1, budget 64; full, SnapKV, StreamingLLM, H2O.
    expect(await byId('needle-policy-0').inputValue()).toBe('full');
    await byId('needle-run').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^="needle-verdict-"]').length === 4, undefined, { timeout: WAIT });
    await waitReady();
    const code = /code (\d{5})/.exec(await text('needle-prompt'))![1];
    expect(await text('needle-answer-0')).toBe(code);
    expect(await text('needle-verdict-0')).toBe('right');
    // The evicting policies hold fewer bytes than the full cache.
    const full = Number(await text('needle-0-cache-bytes'));
    for (const i of [1, 2, 3]) expect(Number(await text(`needle-${i}-cache-bytes`))).toBeLessThan(full);
    await byId('recommend-bytes').fill('65536');
    await byId('recommend').click();
    expect(await text('recommendation')).toMatch(/holds \d+ of \d+ tokens per layer as int8.*DynamicKV/);
    await shot('5-needle-playground');
    await byId('tab-generate').click();
  });

  it('shows bad input as a message in the page, and the loaded model keeps working', async () => {
    await setSettings({ policy: 'snapkv', budget: '0' });
    expect(await errorAfter(() => byId('generate').click())).toMatch(/SettingsError \(INVALID_SETTING\): budget must be at least 32 tokens for snapkv.*got 0/);
    await setSettings({ budget: 'lots' });
    expect(await errorAfter(() => byId('generate').click())).toMatch(/budget must be a whole number of tokens per layer, got 'lots'/);

    const notes = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('these are my notes, not a model\n'.repeat(20)) };
    expect(await errorAfter(() => byId('model-file').setInputFiles(notes))).toMatch(/MalformedFileError \(MALFORMED_FILE\)/);
    expect(await byId('model').inputValue()).toBe('gqa');

    // A truncated GGUF, dropped on the drop zone.
    const truncated = readFileSync(sharedFixture('models/stories260K/stories260K.gguf')).subarray(0, 40_000).toString('base64');
    const dropped = await errorAfter(() =>
      page.evaluate((b64) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'stories260K.gguf'));
        document.querySelector('[data-testid="drop-zone"]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, truncated),
    );
    expect(dropped).toMatch(/MalformedFileError \(MALFORMED_FILE\): GGUF: .*runs past the end of the 40000-byte file/);

    await byId('model-url').fill('/no-such-model/model.gguf');
    expect(await errorAfter(() => byId('load-url').click())).toMatch(/ModelFetchError \(FETCH_FAILED\).*404/);
    await shot('6-error-404');
    expect(await byId('model').inputValue()).toBe('gqa');
    expect(await text('backend-info')).toMatch(/^gqa /);
    // What failed is not offered again.
    const offered = await page.locator('[data-testid="model"] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered.sort()).toEqual(['cla2', 'gqa', 'mha', 'mlkv2', 'mlkv4', 'mqa', 'yoco']);

    // Still the same model: it generates the reference text.
    const ref = await cpuGenerate(PROMPT, 24);
    await setSettings({ policy: 'full', maxTokens: 24, prompt: PROMPT });
    expect(await generate()).toBe(ref.text);
    expect(await byId('error').isVisible()).toBe(false);
  });

  it('opens a GGUF from disk, generates what the CPU backend generates from the same file, and lists it again after a reload', async () => {
    const path = sharedFixture('models/stories260K/stories260K.gguf');
    await byId('model-file').setInputFiles(path);
    await waitReady();
    expect(await text('backend-info')).toMatch(/^file: stories260K\.gguf \(gguf, 5 layers/);
    const ref = await cpuGenerate('Once upon a time', 40, {}, path);
    await setSettings({ policy: 'full', maxTokens: 40, prompt: 'Once upon a time' });
    expect(await generate()).toBe(ref.text);

    // Kept in OPFS: after a reload it is listed again and loads without being picked.
    await page.reload();
    await waitReady();
    await page.waitForSelector('[data-testid="model"] option[value="file: stories260K.gguf"]', { state: 'attached', timeout: WAIT });
    await byId('model').selectOption('file: stories260K.gguf');
    await waitReady();
    expect(await text('backend-info')).toMatch(/^file: stories260K\.gguf \(gguf, 5 layers/);
    await setSettings({ policy: 'full', maxTokens: 40, prompt: 'Once upon a time' });
    expect(await generate()).toBe(ref.text);
    await byId('model').selectOption('gqa');
    await waitReady();
    expect(await text('backend-info')).toMatch(/^gqa /);
  });

  it('chat keeps the session between turns: the second turn prefills only itself', async () => {
    await byId('mode').selectOption('chat');
    await setSettings({ policy: 'full', maxTokens: 12, prompt: 'Tell me about a cat.' });
    await generate();
    await setSettings({ prompt: 'And a dog?' });
    await generate();
    expect(await page.locator('[data-testid="transcript"] .msg').count()).toBe(4);
    expect(await page.locator('.metrics').textContent()).toMatch(/\d+ reused from the cache/);
    await shot('7-chat');
    await byId('mode').selectOption('text');
  });

  it('a model too large for the device is refused before its weights load', async () => {
    // A device that holds 4 MB of weights: the shipped GQA model (3.4 MB) fits, a 6 MB file does not.
    const small = await openPage('?memoryLimit=4000000');
    const prev = page;
    page = small;
    try {
      await waitReady();
      // A 6 MB file on disk (sparse): Chromium reads it from the path, nothing is sent through the driver.
      const dir = mkdtempSync(join(tmpdir(), 'kvkit-demo-'));
      const big = join(dir, 'big.gguf');
      writeFileSync(big, '');
      truncateSync(big, 6_000_000);
      expect(await errorAfter(() => byId('model-file').setInputFiles(big))).toMatch(/ModelTooLargeError \(MODEL_TOO_LARGE\): the model's files are 5\.7 MiB but this device can hold at most 3\.8 MiB/);
      const ref = await cpuGenerate(PROMPT, 24);
      await setSettings({ maxTokens: 24, prompt: PROMPT });
      expect(await generate()).toBe(ref.text);
      rmSync(dir, { recursive: true });
    } finally {
      page = prev;
      await small.close();
    }
  });

  it('runs on WebGPU when asked (SwiftShader here) and generates the CPU backend\'s tokens', async (ctx) => {
    const adapter = await page.evaluate(async () => !!(await (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
    if (!adapter) {
      console.warn('[@kvkit/demo] SKIPPED the WebGPU case: this Chromium has no WebGPU adapter (SwiftShader needs libvulkan1)');
      ctx.skip();
    }
    await byId('backend').selectOption('webgpu');
    await waitReady();
    expect(await text('backend-info')).toMatch(/^gqa .* on webgpu — adapter .*swiftshader/i);
    const ref = await cpuGenerate(PROMPT, 16);
    await setSettings({ policy: 'full', maxTokens: 16, prompt: PROMPT });
    expect(await generate()).toBe(ref.text);
    expect(await byId('output').getAttribute('data-tokens')).toBe(ref.tokens.join(','));
    await byId('backend').selectOption('auto');
    await waitReady();
    expect(await text('backend-info')).toMatch(/ on wasm /);
  });

  it('runs single-threaded, and says why, where the page is not cross-origin isolated', async () => {
    const plain = await serveStatic(DIST, { isolated: false });
    const p = await browser.newPage();
    try {
      p.on('pageerror', (e) => pageErrors.push(String(e)));
      await p.goto(`${plain.origin}/`);
      await waitReady(p);
      expect(await p.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await p.locator('[data-testid="backend-info"]').textContent()).toMatch(/on wasm · 1 thread · page not cross-origin isolated/);
    } finally {
      await p.close();
      plain.server.close();
    }
  });

  it('draws the sharing map of a cross-layer model (MLKV, 4 layers own K/V) under per-layer budgets', async () => {
    await byId('model').selectOption('mlkv4');
    await waitReady();
    expect(await text('backend-info')).toMatch(/^mlkv4 /);
    await setSettings({ policy: 'pyramidkv', budget: '64', maxTokens: 16, prompt: longPrompt() });
    await generate();
    expect(Number(await text('cache-bytes'))).toBeLessThan(Number(await text('full-bytes')));
    await byId('heatmap').scrollIntoViewIfNeeded();
    await shot('8-sharing-map-mlkv4-pyramidkv');
    expect(pageErrors).toEqual([]);
  });
});
