import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HfTokenizer } from '@kvkit/loaders';
import { XorshiftRng } from '@kvkit/runtime';
import { answerOf, factText, Haystack, questionText } from '../src/index.js';
import { readShippedText } from '../src/node.js';

const tok = new HfTokenizer(JSON.parse(readFileSync(fileURLToPath(new URL('../../models/gqa/tokenizer.json', import.meta.url)), 'utf8')), { bosId: 1, eosId: 2 });

describe('needle prompts', () => {
  const hay = new Haystack(tok, readShippedText());

  it('puts the fact at the boundary nearest the depth and the question last, within the length', () => {
    for (const length of [128, 512, 2048]) {
      for (const depth of [0, 0.5, 1]) {
        const rng = new XorshiftRng(7);
        const p = hay.prompt(length, depth, rng);
        expect(p.tokens.length).toBeLessThanOrEqual(length);
        expect(p.tokens.length).toBeGreaterThan(length - 80);
        expect(p.tokens[0]).toBe(tok.bosId);
        expect(p.code).toMatch(/^\d{5}$/);
        const decoded = tok.decode(p.tokens);
        const fact = /The secret code of the (\w+) (\w+) is (\d+)\./.exec(decoded)!;
        expect(fact[3]).toBe(p.code);
        expect(decoded.endsWith(questionText(fact[1]!, fact[2]!))).toBe(true);
        const factTokens = tok.encode(factText(fact[1]!, fact[2]!, p.code), { bos: false });
        expect(p.tokens.slice(p.factAt, p.factAt + factTokens.length)).toEqual(factTokens);
        const fillerLen = p.tokens.length - 1 - factTokens.length - tok.encode(questionText(fact[1]!, fact[2]!), { bos: false }).length;
        if (depth === 0) expect(p.factAt).toBe(1);
        if (depth === 1) expect(p.factAt).toBe(1 + fillerLen);
        if (depth === 0.5) expect(Math.abs(p.factAt - 1 - fillerLen / 2)).toBeLessThan(40);
        // The same seed gives the same prompt.
        expect(hay.prompt(length, depth, new XorshiftRng(7)).tokens).toEqual(p.tokens);
      }
    }
  });

  it('refuses prompts longer than the filler with a typed error', () => {
    expect(() => new Haystack(tok, 'One. Two. Three.').prompt(512, 0.5, new XorshiftRng(1))).toThrow(expect.objectContaining({ code: 'TEXT_TOO_SHORT' }));
  });

  it('reads the answer as the digits the model starts with', () => {
    expect(answerOf(' 73914.')).toBe('73914');
    expect(answerOf(' 7391')).toBe('7391');
    expect(answerOf(' the box')).toBeUndefined();
  });
});
