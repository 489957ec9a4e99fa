// The high-level API on the project's GQA model (packages/models/gqa): text streaming equals the
// token-level generate loop, chat turns prefill only what the cache lacks and continue exactly as a
// fresh session fed the same tokens, stop strings, abort, typed errors, the OpenAI-shaped adapter.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LanguageModel } from '../src/index.js';
import { ChatTemplateMissingError, generate, loadLanguageModel, Session, tokensToText } from '../src/index.js';

const GQA = fileURLToPath(new URL('../../models/gqa/', import.meta.url));
let lm: LanguageModel;

beforeAll(async () => {
  lm = await loadLanguageModel(GQA, { backend: 'cpu' });
});
afterAll(() => lm?.dispose());

/** Greedy tokens of the token-level loop on a fresh session. */
async function greedy(prompt: number[], maxTokens: number): Promise<number[]> {
  using s = new Session(lm.model);
  const out: number[] = [];
  for await (const { token } of generate(s, prompt, { maxTokens })) out.push(token);
  return out;
}

describe('loadLanguageModel + TextSession.generate', () => {
  it('streams the text of the same tokens the token-level loop generates', async () => {
    using session = lm.createSession();
    const stream = session.generate('Once upon a time', { maxTokens: 40 });
    const chunks: string[] = [];
    for await (const c of stream) chunks.push(c.text);
    const r = await stream.result;
    const want = await greedy(lm.tokenizer.encode('Once upon a time'), 40);
    expect(r.tokens).toEqual(want.slice(0, r.tokens.length));
    expect(r.generatedTokens).toBe(want.length);
    expect(chunks.join('')).toBe(r.text);
    expect(r.text).toBe(tokensToText(lm.tokenizer, want, lm.tokenizer.encode('Once upon a time').at(-1)));
    expect(r.finishReason).toBe('length');
    expect(r.promptTokens).toBe(lm.tokenizer.encode('Once upon a time').length);
    expect(session.stats().tokensHeld[0]![0]).toBe(r.promptTokens + r.generatedTokens - 1); // the last token is sampled, not yet fed
  });

  it('a stop string ends generation just before it; the text equals the full text cut there', async () => {
    using a = lm.createSession();
    const full = (await a.generate('Once upon a time', { maxTokens: 60 }).text()).text;
    const stop = full.slice(20, 24);
    const cut = full.indexOf(stop);
    using b = lm.createSession();
    const r = await b.generate('Once upon a time', { maxTokens: 60, stop: [stop] }).text();
    expect(r.finishReason).toBe('stop-string');
    expect(r.text).toBe(full.slice(0, cut));
  });

  it('sampling without a seed draws one and reports it; the same seed reproduces the text', async () => {
    using a = lm.createSession();
    const r1 = await a.generate('The dog', { maxTokens: 20, temperature: 0.9 }).text();
    using b = lm.createSession();
    const r2 = await b.generate('The dog', { maxTokens: 20, temperature: 0.9, seed: r1.seed }).text();
    expect(r2.text).toBe(r1.text);
  });

  it('abort between tokens throws a typed error and leaves the session usable', async () => {
    using s = lm.createSession();
    const ac = new AbortController();
    const stream = s.generate('Once upon a time', { maxTokens: 50, signal: ac.signal });
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of stream) if (++n === 3) ac.abort();
      })(),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(stream.result).rejects.toMatchObject({ code: 'ABORTED' });
    const before = s.tokens.length;
    const more = await s.generate(' Then', { maxTokens: 5 }).text();
    expect(more.generatedTokens).toBe(5);
    expect(s.tokens.length).toBeGreaterThan(before);
  });

  it('validates before feeding anything: empty stop string, bad maxTokens, context overflow, busy session', async () => {
    using s = lm.createSession({ maxTokens: 16 });
    expect(() => s.generate('hi', { stop: [''] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => s.generate('hi', { maxTokens: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => s.generate('hi', { temperature: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => s.generate('word '.repeat(40))).toThrow(expect.objectContaining({ code: 'CONTEXT_OVERFLOW' }));
    expect(s.tokens.length).toBe(0);
    const it1 = s.generate('hi', { maxTokens: 3 })[Symbol.asyncIterator]();
    await it1.next();
    expect(() => s.generate('again')).toThrow(expect.objectContaining({ code: 'SESSION_BUSY' }));
    await it1.return(undefined);
    expect((await s.generate(' ok', { maxTokens: 2 }).text()).generatedTokens).toBeGreaterThan(0);
  });

  it('a stream changes the session only once iterated; a stale stream is refused', async () => {
    using s = lm.createSession();
    const unused = s.generate('Once upon a time', { maxTokens: 3 });
    void unused;
    expect(s.tokens.length).toBe(0);
    const r = await s.generate('Once upon a time', { maxTokens: 3 }).text();
    expect(r.promptTokens).toBe(lm.tokenizer.encode('Once upon a time').length);
    await expect(unused.text()).rejects.toMatchObject({ code: 'SESSION_BUSY' });
    expect(s.tokens.length).toBe(r.promptTokens + r.generatedTokens - 1);
  });

  it('createSession: a policy needs a budget; maxBytes alone lets the planner choose; the cache stays within it', async () => {
    expect(() => lm.createSession({ policy: 'snapkv' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => lm.createSession({ budget: 64 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const maxBytes = 64 * 1024;
    using s = lm.createSession({ maxBytes });
    await s.generate('Once upon a time there was a girl who liked to play. '.repeat(12), { maxTokens: 30 }).text();
    expect(s.stats().bytesUsed).toBeLessThanOrEqual(maxBytes);
    expect(s.stats().bytesUsed).toBeGreaterThan(0);
    using p = lm.createSession({ policy: 'streaming', budget: 32 });
    await p.generate('Once upon a time there was a girl who liked to play. '.repeat(6), { maxTokens: 10 }).text();
    expect(Math.max(...p.stats().tokensHeld.flat())).toBeLessThanOrEqual(32);
  });
});

describe('TextSession.chat', () => {
  const conversation = [
    { role: 'system', content: 'Stories for children.' },
    { role: 'user', content: 'Tell me about a cat.' },
  ];

  it('a model without a template: a typed error naming the field; plain fallback works', () => {
    using s = lm.createSession();
    expect(() => s.chat(conversation)).toThrow(ChatTemplateMissingError);
    expect(() => s.chat(conversation)).toThrow(/tokenizer\.chat_template/);
  });

  it('keeps the cache between turns: the second turn prefills only the new text and continues as a fresh session would', async () => {
    using s = lm.createSession();
    const r1 = await s.chat(conversation, { template: 'plain', maxTokens: 24, stream: false });
    const held = s.tokens.length;
    const turn2 = [...conversation, { role: 'assistant', content: r1.text }, { role: 'user', content: 'And a dog?' }];
    const r2 = await s.chat(turn2, { template: 'plain', maxTokens: 16, stream: false });
    expect(r2.reusedTokens).toBe(held);
    const fed = s.tokens.slice(0, held + r2.promptTokens);
    expect(r2.promptTokens).toBeLessThan(fed.length / 2);
    // A fresh session fed the same token sequence in one prefill generates the same tokens.
    expect(r2.tokens).toEqual((await greedy(fed, r2.generatedTokens)).slice(0, r2.generatedTokens));
  });

  it('a conversation that does not extend the held text starts over', async () => {
    using s = lm.createSession();
    await s.chat(conversation, { template: 'plain', maxTokens: 8, stream: false });
    const r = await s.chat([{ role: 'user', content: 'Something else.' }], { template: 'plain', maxTokens: 8, stream: false });
    expect(r.reusedTokens).toBe(0);
    expect(s.tokens[0]).toBe(lm.config.bosId);
  });
});

describe('chat.completions.create (OpenAI-shaped)', () => {
  it('streamed deltas join to the non-streamed message; usage counts tokens', async () => {
    const messages = [{ role: 'user', content: 'Tell me a story.' }];
    const full = await lm.chat.completions.create({ messages, max_tokens: 20, template: 'plain' });
    expect(full.object).toBe('chat.completion');
    expect(full.usage.completion_tokens).toBeGreaterThan(0);
    expect(full.usage.total_tokens).toBe(full.usage.prompt_tokens + full.usage.completion_tokens);
    const stream = await lm.chat.completions.create({ messages, max_tokens: 20, template: 'plain', stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const c of stream) {
      text += c.choices[0]!.delta.content ?? '';
      finish = c.choices[0]!.finish_reason ?? finish;
    }
    expect(text).toBe(full.choices[0]!.message.content);
    expect(finish).toBe(full.choices[0]!.finish_reason);
  });
});
