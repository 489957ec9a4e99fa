import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend, KvkitError } from '@kvkit/tensor';
import { generate, LlamaModel, Sampler, Session, XorshiftRng } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';

let loaded: LoadedModel;
let model: LlamaModel;
beforeAll(async () => {
  loaded = await loadModel(`${STORIES}stories260K.gguf`);
  model = LlamaModel.load(new CpuBackend(), loaded);
});

async function collect(session: Session, prompt: number[], opts: Parameters<typeof generate>[2]): Promise<number[]> {
  const out: number[] = [];
  for await (const t of generate(session, prompt, opts)) out.push(t.token);
  return out;
}

describe('Sampler', () => {
  it("draws run.c's xorshift* sequence", () => {
    // Independent float64-free check: the first draws of seed 42 computed with BigInt arithmetic by hand.
    let s = 42n;
    const ref: number[] = [];
    for (let i = 0; i < 5; i++) {
      s ^= s >> 12n;
      s = (s ^ (s << 25n)) & 0xffffffffffffffffn;
      s ^= s >> 27n;
      ref.push(Number(((s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 32n));
    }
    const rng = new XorshiftRng(42);
    expect(ref.map(() => rng.nextU32())).toEqual(ref);
  });

  it('samples in proportion to softmax(logits / T)', () => {
    const logits = Float32Array.of(1, 2, 0.5, -1, 3);
    const T = 1.5;
    const p = Array.from(logits, (v) => Math.exp(v / T));
    const z = p.reduce((a, b) => a + b);
    const sampler = new Sampler({ temperature: T, seed: 3 });
    const counts = new Array(5).fill(0);
    const N = 40000;
    for (let i = 0; i < N; i++) counts[sampler.sample(logits)]++;
    counts.forEach((c, i) => expect(Math.abs(c / N - p[i]! / z)).toBeLessThan(0.01));
  });

  it('top-k 1 and a tiny top-p are greedy; top-k keeps only the k best', () => {
    const logits = Float32Array.of(0.1, 2, 1.9, -3, 1.95);
    expect(new Sampler({ temperature: 1, topK: 1, seed: 1 }).sample(logits)).toBe(1);
    expect(new Sampler({ temperature: 1, topP: 1e-6, seed: 1 }).sample(logits)).toBe(1);
    const s = new Sampler({ temperature: 5, topK: 2, seed: 9 });
    for (let i = 0; i < 500; i++) expect([1, 4]).toContain(s.sample(logits));
  });

  it('rejects bad parameters with typed errors', () => {
    expect(() => new Sampler({ temperature: -1 })).toThrow(KvkitError);
    expect(() => new Sampler({ topP: 2 })).toThrow(KvkitError);
    expect(() => new Sampler({ topK: 1.5 })).toThrow(KvkitError);
  });
});

describe('generate', () => {
  it('is reproducible for a seed and differs across seeds', async () => {
    const opts = { maxTokens: 40, temperature: 1, topP: 0.9 };
    const a = await collect(new Session(model), [1], { ...opts, seed: 5 });
    const b = await collect(new Session(model), [1], { ...opts, seed: 5 });
    const c = await collect(new Session(model), [1], { ...opts, seed: 6 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('continues a prompt exactly as greedy decoding from BOS does', async () => {
    const prompt = [1, ...reference.generated_ids.slice(0, 10)];
    const out = await collect(new Session(model), prompt, { maxTokens: 20 });
    expect(out).toEqual(reference.generated_ids.slice(10, 30));
  });

  it('stops on abort with a typed error and leaves the session consistent', async () => {
    const session = new Session(model);
    const ac = new AbortController();
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const t of generate(session, [1], { maxTokens: 100, signal: ac.signal })) {
          out.push(t.token);
          if (out.length === 5) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(out).toEqual(reference.generated_ids.slice(0, 5));
    expect(session.tokens).toEqual([1, ...reference.generated_ids.slice(0, 4)]);
    expect(session.stats().tokensHeld[0]).toEqual([5, 5, 5, 5]);
    // The session goes on from where it stopped.
    const next = await collect(session, [out[4]!], { maxTokens: 3 });
    expect(next).toEqual(reference.generated_ids.slice(5, 8));
  });

  it('refuses to overflow the context without touching the cache', async () => {
    const session = new Session(model, { maxTokens: 8 });
    await session.append([1, 2, 3, 4, 5]);
    await expect(session.append([1, 2, 3, 4])).rejects.toMatchObject({ code: 'CONTEXT_OVERFLOW' });
    await expect(session.append([9999])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(session.position).toBe(5);
    expect(session.stats().tokensHeld[4]).toEqual([5, 5, 5, 5]);
  });

  it('ends with "context" when the context is full', async () => {
    const session = new Session(model, { maxTokens: 6 });
    const it = generate(session, [1], { maxTokens: 50, stopTokens: [] });
    let r = await it.next();
    let n = 0;
    while (!r.done) {
      n++;
      r = await it.next();
    }
    expect(r.value).toBe('context');
    expect(n).toBe(6);
  });
});

describe('replayOn', () => {
  it('continues the same sequence on another model instance with the same logits', async () => {
    const session = new Session(model);
    await session.append([1, ...reference.generated_ids.slice(0, 20)]);
    const other = LlamaModel.load(new CpuBackend(), loaded);
    const { session: moved, logits } = await session.replayOn(other);
    expect(moved.tokens).toEqual(session.tokens);
    const next = await session.append([reference.generated_ids[20]!]);
    const movedNext = await moved.append([reference.generated_ids[20]!]);
    expect(Math.max(...next.map((v, i) => Math.abs(v - movedNext[i]!)))).toBeLessThan(1e-5);
    expect(logits).toBeDefined();
  });
});
