// TextSession snapshots carry the sampled-but-not-fed token and the text so far: a generate or a chat
// turn after LanguageModel.restoreSession gives what the original session gives, reusing the cache.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LanguageModel } from '../src/index.js';
import { loadLanguageModel, readSnapshotHeader } from '../src/index.js';

const GQA = fileURLToPath(new URL('../../models/gqa/', import.meta.url));
let lm: LanguageModel;

beforeAll(async () => {
  lm = await loadLanguageModel(GQA, { backend: 'cpu' });
});
afterAll(() => lm?.dispose());

describe('TextSession snapshots', () => {
  it('generate continues after a restore exactly as the original session does', async () => {
    using a = lm.createSession({ policy: 'h2o', budget: 24, kvDtype: 'f16' });
    const first = await a.generate('Once upon a time', { maxTokens: 12 }).text();
    const bytes = await a.snapshot();
    expect(readSnapshotHeader(bytes).text).toEqual({ pending: first.tokens.at(-1), text: expect.stringContaining('Once upon a time') });
    using b = lm.restoreSession(bytes, { kvDtype: 'f16' });
    expect(b.tokens).toEqual(a.tokens);
    const wantMore = await a.generate(' Then', { maxTokens: 15 }).text();
    const gotMore = await b.generate(' Then', { maxTokens: 15 }).text();
    expect(gotMore.text).toBe(wantMore.text);
    expect(gotMore.tokens).toEqual(wantMore.tokens);
    expect(b.stats()).toEqual(a.stats());
  });

  it('a chat turn after a restore prefills only the new turn', async () => {
    const turn1 = [{ role: 'user', content: 'Tell me about a cat.' }];
    using a = lm.createSession();
    const reply = await a.chat(turn1, { template: 'plain', maxTokens: 12, stream: false });
    using b = lm.restoreSession(await a.snapshot());
    const turn2 = [...turn1, { role: 'assistant', content: reply.text }, { role: 'user', content: 'And a dog?' }];
    const want = await a.chat(turn2, { template: 'plain', maxTokens: 12, stream: false });
    const got = await b.chat(turn2, { template: 'plain', maxTokens: 12, stream: false });
    expect(got.reusedTokens).toBeGreaterThan(0);
    expect(got.reusedTokens).toBe(want.reusedTokens);
    expect(got.promptTokens).toBe(want.promptTokens);
    expect(got.text).toBe(want.text);
  });

  it('a session that is generating cannot be snapshotted', async () => {
    using a = lm.createSession();
    const it = a.generate('Once', { maxTokens: 5 })[Symbol.asyncIterator]();
    await it.next();
    await expect(a.snapshot()).rejects.toMatchObject({ code: 'SESSION_BUSY' });
    await it.return?.();
  });
});
