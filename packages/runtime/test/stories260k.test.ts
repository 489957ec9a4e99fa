import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend } from '@kvkit/tensor';
import { argmax, generate, LlamaModel, Session } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';

const backend = new CpuBackend();
let bin: LoadedModel;
let gguf: LoadedModel;

beforeAll(async () => {
  bin = await loadModel(`${STORIES}stories260K.bin`);
  gguf = await loadModel(`${STORIES}stories260K.gguf`);
});

async function greedy(loaded: LoadedModel, n: number, mode: 'cache' | 'recompute' = 'cache') {
  const model = LlamaModel.load(backend, loaded);
  const session = new Session(model, { mode });
  const logits: Float32Array[] = [];
  const tokens: number[] = [];
  let last = await session.append([loaded.config.bosId]);
  for (let i = 0; i < n; i++) {
    logits.push(last);
    const best = argmax(last);
    tokens.push(best);
    if (i + 1 < n) last = await session.append([best]);
  }
  return { tokens, logits };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('stories260K against the independent reference', () => {
  it('reproduces the 256 greedy tokens from BOS and the first three logit vectors', async () => {
    const { tokens, logits } = await greedy(bin, 256);
    expect(tokens).toEqual(reference.generated_ids);
    for (let p = 0; p < 3; p++) expect(maxAbsDiff(logits[p]!, reference.logits_first3[p]!)).toBeLessThan(1e-4);
    expect(bin.tokenizer!.decode([reference.bos, ...tokens])).toBe(reference.text);
  });

  it('gives the same tokens and logits from the .bin and the GGUF', async () => {
    const a = await greedy(bin, 64);
    const b = await greedy(gguf, 64);
    expect(b.tokens).toEqual(a.tokens);
    for (let i = 0; i < 64; i++) expect(maxAbsDiff(a.logits[i]!, b.logits[i]!)).toBeLessThanOrEqual(1e-6);
  });

  it('streams the same tokens through generate(), stopping at BOS/EOS like run.c', async () => {
    const model = LlamaModel.load(backend, gguf);
    const session = new Session(model);
    const out: number[] = [];
    const it = generate(session, [1], { maxTokens: 256 });
    let r = await it.next();
    while (!r.done) {
      out.push(r.value.token);
      r = await it.next();
    }
    const stop = reference.generated_ids.findIndex((t) => t === 1 || t === 2);
    expect(out).toEqual(stop < 0 ? reference.generated_ids : reference.generated_ids.slice(0, stop));
    expect(r.value).toBe(stop < 0 ? 'length' : 'stop');
  });
});
