import { readFileSync } from 'node:fs';
import { chooseCacheForBytes } from '@kvkit/cache';
import { describe, expect, it } from 'vitest';
import { GGUF, json, kvkit, STORIES } from './run-kvkit.js';

const reference = JSON.parse(readFileSync(`${STORIES}reference_greedy.json`, 'utf8')) as { generated_ids: number[]; text: string };
/** The shipped default model (gqa): 8 layers x 2 KV heads x 32 dims x (K + V) x f32. */
const GQA_BYTES_PER_TOKEN = 8 * 2 * 32 * 2 * 4;

describe('kvkit generate', () => {
  it('runs the shipped default model and reports the backend, its threads and the cache', () => {
    const out = json(['generate', '--prompt', 'Once upon a time', '--max-tokens', '12']);
    expect(out.model).toBe('gqa (@kvkit/models, default)');
    expect(out.text).toBe(`Once upon a time${out.completion}`);
    expect(out.generatedTokens).toBe(12);
    expect(out.tokens).toHaveLength(out.promptTokens + 12);
    expect(out.finishReason).toBe('length');
    expect(['wasm', 'webgpu']).toContain(out.backend.kind);
    expect(out.backend.threads).toBeGreaterThanOrEqual(1);
    expect(out.cache.bytesPerToken).toBe(GQA_BYTES_PER_TOKEN);
    // The last sampled token is not fed back: the cache holds the prompt and 11 generated tokens.
    expect(out.cache.tokensHeld).toBe(out.promptTokens + 11);
    expect(out.cache.bytesUsed).toBe(out.cache.tokensHeld * GQA_BYTES_PER_TOKEN);
  });

  it("reproduces llama2.c's greedy run of stories260K from BOS, on the reference and the WASM backend", () => {
    const cpu = json(['generate', '--model', GGUF, '--max-tokens', '256', '--backend', 'cpu']);
    expect(cpu.tokens).toEqual([1, ...reference.generated_ids]);
    expect(cpu.text).toBe(reference.text);
    expect(cpu.backend).toEqual({ kind: 'cpu', name: 'cpu-reference', threads: 1 });
    for (const threads of ['1', '2']) {
      const wasm = json(['generate', '--model', GGUF, '--max-tokens', '40', '--backend', 'wasm', '--threads', threads]);
      expect(wasm.backend).toMatchObject({ kind: 'wasm', threads: Number(threads) });
      expect(wasm.tokens).toEqual(cpu.tokens.slice(0, 41));
    }
  });

  it('gives the same tokens from the .bin with its tokenizer, and with --no-cache', () => {
    const args = ['--prompt', 'Once upon a time', '--max-tokens', '24', '--backend', 'cpu'];
    const gguf = json(['generate', '--model', GGUF, ...args]);
    const nocache = json(['generate', '--model', `${STORIES}stories260K.bin`, '--tokenizer', `${STORIES}tok512.bin`, '--no-cache', ...args]);
    expect(nocache.tokens).toEqual(gguf.tokens);
    expect(nocache.cache).toEqual({ mode: 'recompute', bytesUsed: 0 });
  });

  it('draws a fresh seed when sampling without --seed, prints it, and the seed repeats the run', () => {
    const args = ['generate', '--prompt', 'The dog', '--max-tokens', '16', '--temperature', '1'];
    const a = json(args);
    const b = json(args);
    expect(Number.isSafeInteger(a.seed) && a.seed >= 1).toBe(true);
    expect(a.seed).not.toBe(b.seed);
    expect(json([...args, '--seed', String(a.seed)]).tokens).toEqual(a.tokens);
    expect(json([...args, '--seed', String(b.seed)]).tokens).toEqual(b.tokens);
  });

  it("says in text mode that it stopped at the model's context", () => {
    const r = kvkit(['generate', '--model', `${STORIES}stories260K.bin`, '--prompt', 'Lily and Tom play. '.repeat(84), '--max-tokens', '100', '--backend', 'cpu']);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('Lily and Tom play. ')).toBe(true);
    expect(r.stderr).toBe("kvkit: stopped at the model's context of 512 tokens\n");
  });

  it('prints the backend, threads and seed with --verbose, on stderr only', () => {
    const r = kvkit(['generate', '--model', GGUF, '--prompt', 'Once', '--max-tokens', '5', '--backend', 'wasm', '--threads', '2', '--verbose']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/backend wasm \(cpu-wasm\), 2 threads/);
    expect(r.stderr).toMatch(/seed 1337; prefill \d+ tokens/);
    expect(r.stdout).not.toContain('backend');
  });

  it('lets the planner pick KV dtype and policy for --max-bytes alone, and keeps the cache within it', () => {
    const maxBytes = 60_000;
    const out = json(['generate', '--model', GGUF, '--prompt', 'Once upon a time, there was a little girl.', '--max-tokens', '300', '--max-bytes', String(maxBytes), '--backend', 'cpu']);
    // stories260K at its 2048-token context: 5 layers, 4 KV heads of 8 dims.
    const choice = chooseCacheForBytes({ nLayers: 5, nHeads: 8, nKvHeads: 4, headDim: 8, kvSource: [0, 1, 2, 3, 4] }, { maxBytes, context: 2048 });
    expect(out.cache.kvDtype).toBe(choice.kvDtype);
    expect(out.cache.policy.kind).toBe(choice.policy!.policy.kind);
    expect(out.cache.policy.budget).toEqual(choice.policy!.budget);
    expect(out.cache.bytesUsed).toBeLessThanOrEqual(maxBytes);
    // The sequence outgrew the planned tokens: the policy evicted while decoding, and every layer and head
    // together hold at most the planned tokens each (DynamicKV gives some layers more than others).
    expect(out.promptTokens + out.generatedTokens).toBeGreaterThan(choice.budget + 50);
    expect(out.cache.policy.compressions.some((c: { phase: string }) => c.phase === 'decode')).toBe(true);
    const held = out.cache.tokensHeldPerHead.flat().reduce((a: number, b: number) => a + b, 0);
    expect(held).toBeLessThanOrEqual(choice.budget * 5 * 4);
  });
});
