// The WebAssembly SIMD CPU backend against the reference CpuBackend on stories260K: the same greedy
// tokens and near-identical logits, on one thread and on two (with a tiny parallel threshold so every
// matmul and attention call is split across the threads), for F32, Q8_0 and Q4_0 weights, a prompt
// prefill (the GEMM paths), quantised KV caches and a policy that reads attention statistics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import { quantizeModel } from '@kvkit/test-utils';
import type { Backend } from '@kvkit/tensor';
import { CpuBackend } from '@kvkit/tensor';
import { createWasmCpuBackend } from '@kvkit/tensor/node';
import type { SessionOptions } from '../src/index.js';
import { argmax, LlamaModel, Session } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';

const cpu = new CpuBackend();
let gguf: LoadedModel;
const wasm: Record<string, Backend> = {};

beforeAll(async () => {
  gguf = await loadModel(`${STORIES}stories260K.gguf`);
  wasm['1 thread'] = await createWasmCpuBackend({ threads: 1 });
  wasm['2 threads'] = await createWasmCpuBackend({ threads: 2, minParallelWork: 1 });
});

afterAll(() => {
  for (const b of Object.values(wasm)) b[Symbol.dispose]();
});


/** Greedy decoding after `prompt`: the tokens and every logit vector. */
async function greedy(backend: Backend, loaded: LoadedModel, prompt: number[], n: number, opts: SessionOptions = {}) {
  const model = LlamaModel.load(backend, loaded);
  const session = new Session(model, opts);
  const logits: Float32Array[] = [];
  const tokens: number[] = [];
  let last = await session.append(prompt);
  for (let i = 0; i < n; i++) {
    logits.push(last);
    const best = argmax(last);
    tokens.push(best);
    if (i + 1 < n) last = await session.append([best]);
  }
  session[Symbol.dispose]();
  model.dispose();
  return { tokens, logits };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.each(['1 thread', '2 threads'])('cpu-wasm on stories260K, %s', (threads) => {
  it('reproduces the reference 256 greedy tokens from BOS with the CpuBackend logits', async () => {
    const base = await greedy(cpu, gguf, [reference.bos], 256);
    const got = await greedy(wasm[threads]!, gguf, [reference.bos], 256);
    expect(got.tokens).toEqual(reference.generated_ids);
    expect(got.tokens).toEqual(base.tokens);
    for (let p = 0; p < 256; p += 15) expect(maxAbsDiff(got.logits[p]!, base.logits[p]!)).toBeLessThan(2e-4);
  });

  it('matches the CpuBackend after a prompt prefill (the GEMM and multi-query attention paths)', async () => {
    const prompt = [reference.bos, ...gguf.tokenizer!.encode('Once upon a time, there was a little girl named Lily. She').slice(1)];
    expect(prompt.length).toBeGreaterThan(8);
    const base = await greedy(cpu, gguf, prompt, 48);
    const got = await greedy(wasm[threads]!, gguf, prompt, 48);
    expect(got.tokens).toEqual(base.tokens);
    expect(maxAbsDiff(got.logits[0]!, base.logits[0]!)).toBeLessThan(2e-4);
  });

  for (const dtype of ['q8_0', 'q4_0'] as const) {
    it(`${dtype} weights: the CpuBackend's greedy tokens, from BOS and after a prompt`, async () => {
      const q = quantizeModel(gguf, dtype);
      for (const prompt of [[reference.bos], [reference.bos, ...gguf.tokenizer!.encode('The cat sat on the mat and').slice(1)]]) {
        const base = await greedy(cpu, q, prompt, 64);
        const got = await greedy(wasm[threads]!, q, prompt, 64);
        expect(got.tokens).toEqual(base.tokens);
        expect(maxAbsDiff(got.logits[0]!, base.logits[0]!)).toBeLessThan(2e-4);
      }
    });
  }

  it('quantised KV caches and a policy with attention statistics run the reference kernels on the same memory', async () => {
    const cases: SessionOptions[] = [
      { kvDtype: 'f16' },
      { kvDtype: 'int8' },
      { kvDtype: 'kivi4', kivi: { group: 8, residual: 16 } },
      { policy: { policy: { kind: 'snapkv', window: 8 }, budget: { budget: 40 }, recompressInterval: 16 } },
      { mode: 'recompute' },
    ];
    const prompt = [reference.bos, ...gguf.tokenizer!.encode('Tom had a big red ball. He liked to play with it in the park every day.').slice(1)];
    for (const opts of cases) {
      const base = await greedy(cpu, gguf, prompt, 40, opts);
      const got = await greedy(wasm[threads]!, gguf, prompt, 40, opts);
      expect(got.tokens, JSON.stringify(opts)).toEqual(base.tokens);
    }
  });
});
