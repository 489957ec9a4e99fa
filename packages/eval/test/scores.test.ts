// Metrics against independent references: closed-form KL, evaluateNll's perplexity, and the full-cache
// policy, which must score exactly as no policy (KL 0, every top-1 equal).
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import { loadLlamaGguf, readGguf } from '@kvkit/loaders';
import type { Tokenizer } from '@kvkit/loaders';
import { evaluateNll, LlamaModel } from '@kvkit/runtime';
import { CpuBackend } from '@kvkit/tensor';
import { compareLogProbs, compareWithBaseline, logSoftmax, mergeCompared, scoreBaseline, textWindows } from '../src/index.js';
import { readShippedText } from '../src/node.js';

const gguf = readFileSync(sharedFixture('models/stories260K/stories260K.gguf'));
const loaded = loadLlamaGguf(readGguf(new Uint8Array(gguf.buffer, gguf.byteOffset, gguf.byteLength)));
const tok = loaded.tokenizer as Tokenizer;

describe('logit comparison', () => {
  it('computes log-softmax and KL(p || q) as the closed form', () => {
    const p = logSoftmax(new Float32Array([0, 0]));
    expect(Array.from(p, Math.exp)).toEqual([0.5, 0.5]);
    const q = Float64Array.from([0.25, 0.75], Math.log);
    // KL = 0.5 ln(0.5 / 0.25) + 0.5 ln(0.5 / 0.75)
    const { kl, agree } = compareLogProbs(p, q);
    expect(kl).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 12);
    expect(agree).toBe(false); // p's tie goes to the first index, q's top is the second
    expect(compareLogProbs(q, Float64Array.from([0.4, 0.6], Math.log)).agree).toBe(true);
    expect(compareLogProbs(q, q).kl).toBe(0);
  });
});

describe('text windows', () => {
  it('cuts BOS + consecutive tokens of the text, and names what is missing when it is too short', () => {
    const text = readShippedText();
    const ws = textWindows(tok, text, { count: 3, length: 65, chars: 5000 });
    const ids = tok.encode(text.slice(0, 5000), { bos: false });
    expect(ws).toHaveLength(3);
    expect(ws[1]).toEqual([tok.bosId, ...ids.slice(64, 128)]);
    expect(() => textWindows(tok, 'Tiny.', { count: 1, length: 512 })).toThrow(expect.objectContaining({ code: 'TEXT_TOO_SHORT', message: expect.stringMatching(/fewer than one window of 511/) }));
  });
});

describe('scores against a baseline', () => {
  const backend = new CpuBackend();
  const model = LlamaModel.load(backend, loaded);
  afterAll(() => {
    model[Symbol.dispose]();
    backend[Symbol.dispose]();
  });
  const windows = textWindows(tok, readShippedText(), { count: 2, length: 96, chars: 20_000 });

  it('gives the full-cache policy KL 0 and full agreement, at the perplexity evaluateNll reports', async () => {
    const base = await scoreBaseline(model, windows, { prefill: 48 });
    const reference = await evaluateNll(model, windows, { prefill: 48 });
    expect(base.tokens).toBe(reference.tokens);
    expect(base.nll).toBeCloseTo(reference.nll, 9);
    const full = await compareWithBaseline(model, windows, base, { prefill: 48, session: { policy: { policy: { kind: 'full' }, budget: { ratio: 1 } } } });
    expect(full.kl).toBeLessThan(1e-12);
    expect(full.top1Agreement).toBe(1);
    expect(full.deltaPpl).toBeCloseTo(0, 9);
  });

  it('sees an evicting policy lose information, and merges per-window parts into the whole', async () => {
    const session = { policy: { policy: { kind: 'streaming' as const }, budget: { budget: 16 } } };
    const base = { prefill: 48, scoreFrom: 48 };
    const o = { ...base, session };
    const whole = await compareWithBaseline(model, windows, await scoreBaseline(model, windows, base), o);
    expect(whole.tokens).toBe(2 * (95 - 48));
    expect(whole.kl).toBeGreaterThan(1e-4);
    expect(whole.top1Agreement).toBeLessThan(1);
    const parts = [];
    for (const w of windows) parts.push(await compareWithBaseline(model, [w], await scoreBaseline(model, [w], base), o));
    const merged = mergeCompared(parts);
    expect(merged.tokens).toBe(whole.tokens);
    expect(merged.nll).toBeCloseTo(whole.nll, 9);
    expect(merged.kl).toBeCloseTo(whole.kl, 9);
    expect(merged.top1Agreement).toBeCloseTo(whole.top1Agreement, 12);
    expect(merged.baseline.perplexity).toBeCloseTo(whole.baseline.perplexity, 9);
  });
});
