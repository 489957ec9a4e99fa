// fork(): two sessions that hold everything so far and then go their own ways; neither disturbs the
// other, and each continues exactly as a session that was never forked.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend } from '@kvkit/tensor';
import type { LanguageModel } from '../src/index.js';
import { LlamaModel, loadLanguageModel, Session } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';
import { greedy, held } from './snapshot-roundtrip.js';

let model: LlamaModel;
let lm: LanguageModel;
beforeAll(async () => {
  model = LlamaModel.load(new CpuBackend(), await loadModel(`${STORIES}stories260K.bin`));
  lm = await loadLanguageModel(fileURLToPath(new URL('../../models/gqa/', import.meta.url)), { backend: 'cpu' });
});
afterAll(() => {
  model.dispose();
  lm.dispose();
});

describe('Session.fork', () => {
  it.each(['f32', 'kivi4'] as const)('%s, H2O: the fork and the original diverge, each as an unforked session would', async (kvDtype) => {
    const opts = { kvDtype, ...(kvDtype === 'kivi4' ? { kivi: { group: 8, residual: 16 } } : {}), policy: { policy: { kind: 'h2o' as const }, budget: { budget: 24 } } };
    const prompt = [1, ...reference.generated_ids.slice(0, 39)];
    const other = [1, ...reference.generated_ids.slice(100, 110)];
    // References: one session continuing with `prompt` tokens only, one fed the other continuation.
    using plain = new Session(model, opts);
    const head = await greedy(plain, prompt, 10);
    using plainOther = new Session(model, opts);
    await greedy(plainOther, prompt, 10);
    const wantOther = await greedy(plainOther, [head.at(-1)!, ...other], 10);
    const want = await greedy(plain, [head.at(-1)!], 15);

    using a = new Session(model, opts);
    await greedy(a, prompt, 10);
    using b = await a.fork();
    expect(b.tokens).toEqual(a.tokens);
    expect(held(b)).toEqual(held(a));
    expect(await greedy(b, [head.at(-1)!, ...other], 10)).toEqual(wantOther);
    expect(await greedy(a, [head.at(-1)!], 15)).toEqual(want);
    expect(held(a)).toEqual(held(plain));
    expect(held(b)).toEqual(held(plainOther));
  });

  it('TextSession.fork keeps the text: a chat turn on the fork reuses the cache', async () => {
    using a = lm.createSession();
    const turn1 = [{ role: 'user', content: 'Tell me about a cat.' }];
    const reply = await a.chat(turn1, { template: 'plain', maxTokens: 10, stream: false });
    using b = await a.fork();
    const next = [...turn1, { role: 'assistant', content: reply.text }, { role: 'user', content: 'And a dog?' }];
    const fromFork = await b.chat(next, { template: 'plain', maxTokens: 10, stream: false });
    const fromOriginal = await a.chat(next, { template: 'plain', maxTokens: 10, stream: false });
    expect(fromFork.reusedTokens).toBeGreaterThan(0);
    expect(fromFork.text).toBe(fromOriginal.text);
  });
});
