import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const STORIES = fileURLToPath(new URL('../../../../shared/models/stories260K/', import.meta.url));
const GGUF = `${STORIES}stories260K.gguf`;
const reference = JSON.parse(readFileSync(`${STORIES}reference_greedy.json`, 'utf8')) as { generated_ids: number[]; text: string };

function kvkit(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

function json(...args: string[]) {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args, '--format', 'json'], { encoding: 'utf8' }));
}

describe('kvkit generate', () => {
  it('reproduces the reference greedy run from BOS with the stories260K GGUF', () => {
    const out = json('generate', '--model', GGUF, '--max-tokens', '256');
    expect(out.tokens).toEqual([1, ...reference.generated_ids]);
    expect(out.text).toBe(reference.text);
    expect(out.promptTokens).toBe(1);
    expect(out.generatedTokens).toBe(256);
    expect(out.cache.bytesPerToken).toBe(5 * 2 * 4 * 8 * 4);
    // The last sampled token is not fed back, so the cache holds BOS + 255 tokens.
    expect(out.cache.tokensHeld).toBe(256);
    expect(out.cache.bytesUsed).toBe(256 * out.cache.bytesPerToken);
    for (const k of ['prefillMs', 'decodeMs', 'tokensPerSecond']) expect(out.timings[k]).toBeGreaterThan(0);
  });

  it('gives the same tokens from the .bin (tok512.bin found beside it) and with --no-cache', () => {
    const prompt = ['--prompt', 'Once upon a time', '--max-tokens', '40'];
    const gguf = json('generate', '--model', GGUF, ...prompt);
    const bin = json('generate', '--model', `${STORIES}stories260K.bin`, ...prompt);
    const nocache = json('generate', '--model', `${STORIES}stories260K.bin`, '--tokenizer', `${STORIES}tok512.bin`, '--no-cache', ...prompt);
    expect(bin.tokens).toEqual(gguf.tokens);
    expect(nocache.tokens).toEqual(gguf.tokens);
    expect(gguf.text.startsWith('Once upon a time')).toBe(true);
    expect(nocache.cache.bytesUsed).toBe(0);
  });

  it('runs the project\'s own GQA model by default (models/gqa: HF layout, byte-level BPE)', () => {
    const out = json('generate', '--prompt', 'Once upon a time', '--max-tokens', '24');
    expect(out.text.startsWith('Once upon a time')).toBe(true);
    expect(out.generatedTokens).toBe(24);
    // 8 layers x 2 KV heads x 32 dims x (K + V) x f32.
    expect(out.cache.bytesPerToken).toBe(8 * 2 * 32 * 2 * 4);
    expect(out.cache.tokensHeldPerHead).toHaveLength(8);
  });

  it('samples reproducibly with a seed', () => {
    const args = ['generate', '--prompt', 'The dog', '--max-tokens', '30', '--temperature', '0.9', '--seed', '11'];
    expect(json(...args).tokens).toEqual(json(...args).tokens);
  });

  it('prints text as run.c does', () => {
    const r = kvkit('generate', '--model', GGUF, '--max-tokens', '20');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('Once upon a time, there was a little girl named Lily.')).toBe(true);
  });

  it('fails with a typed error and how to pass --model when the model is missing', () => {
    const r = kvkit('generate', '--model', '/nonexistent/model.gguf', '--max-tokens', '2');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/MODEL_NOT_FOUND/);
    expect(r.stderr).toMatch(/--model/);
  });

  it('rejects bad arguments with a usage error', () => {
    expect(kvkit('generate', '--max-tokens', 'abc').status).toBe(2);
    expect(kvkit('generate', '--format', 'xml').status).toBe(2);
    expect(kvkit('frobnicate').status).toBe(2);
  });
});

describe('kvkit bench cache', () => {
  it('reports cached vs recomputed speed with the theoretical FLOP ratio and identical tokens', () => {
    // The report goes to ./bench-results/cache/: run it in a scratch folder.
    const out = JSON.parse(execFileSync(process.execPath, [CLI, 'bench', 'cache', '--lengths', '16,32', '--json', '--quiet'], { encoding: 'utf8', cwd: tmpdir() }));
    expect(out.rows).toHaveLength(2);
    for (const r of out.rows) {
      expect(r.sameTokens).toBe(true);
      expect(r.flopRatio).toBeGreaterThan(1);
    }
    expect(out.rows[1].flopRatio).toBeGreaterThan(out.rows[0].flopRatio);
  });
});

describe('kvkit generate --backend webgpu', () => {
  it('generates the same tokens as the CPU backend (Dawn; software adapter without a GPU)', (ctx) => {
    const args = ['generate', '--model', GGUF, '--prompt', 'Once upon a time', '--max-tokens', '12', '--format', 'json'];
    const gpu = kvkit(...args, '--backend', 'webgpu');
    if (gpu.status !== 0 && /NO_ADAPTER/.test(gpu.stderr)) {
      console.warn(`skipping the WebGPU CLI test: no adapter (${gpu.stderr.trim()})`);
      ctx.skip();
    }
    expect(gpu.status, gpu.stderr).toBe(0);
    const out = JSON.parse(gpu.stdout);
    expect(out.backend).toBe('webgpu');
    expect(out.tokens).toEqual(json(...args.slice(0, -2)).tokens);
  });
});

describe('kvkit generate --backend wasm', () => {
  it('generates the same tokens as the scalar CPU backend on 1 and 2 threads', () => {
    const args = ['generate', '--model', GGUF, '--prompt', 'Once upon a time', '--max-tokens', '40'];
    const cpu = json(...args).tokens;
    for (const threads of ['1', '2']) {
      const out = json(...args, '--backend', 'wasm', '--threads', threads);
      expect(out.backend).toBe('cpu-wasm');
      expect(out.tokens).toEqual(cpu);
    }
  });
});
