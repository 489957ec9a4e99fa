// Streaming detokenisation and stop strings: chunks concatenate to the text of decoding every token at
// once (the byte-level BPE of the project's models, and SentencePiece byte fallback of stories260K),
// never split a character, and stop strings cut exactly where a whole-text search would.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HfTokenizer, readTok512 } from '@kvkit/loaders';
import { StopStringMatcher, TokenTextStream, tokensToText } from '../src/index.js';
import { STORIES } from './shared-model.js';

const bpe = new HfTokenizer(JSON.parse(readFileSync(fileURLToPath(new URL('../../models/gqa/tokenizer.json', import.meta.url)), 'utf8')), { bosId: 1, eosId: 2 });
const sp = readTok512(new Uint8Array(readFileSync(`${STORIES}tok512.bin`)), 512);
const TEXTS = ['Grüße aus Köln, naïve café', '東京タワーに行った 🙂🚀 done', 'Once upon a time, there was a tiny 🐈‍⬛.', 'é'.repeat(7) + '\u{1F600}'];

function stream(tok: typeof bpe | typeof sp, tokens: number[]): string[] {
  const s = new TokenTextStream(tok, tokens[0]!);
  const chunks = tokens.slice(1).map((t) => s.push(t));
  chunks.push(s.flush());
  return chunks;
}

describe('TokenTextStream', () => {
  for (const [name, tok] of [['byte-level BPE', bpe], ['SentencePiece byte fallback', sp]] as const) {
    it(`${name}: chunks join to the text of all tokens at once and to the input`, () => {
      let split = 0;
      for (const text of TEXTS) {
        const tokens = tok.encode(text); // BOS first
        const chunks = stream(tok, tokens);
        expect(chunks.join('')).toBe(tokensToText(tok, tokens.slice(1), tokens[0]));
        expect(chunks.join('')).toBe(text);
        for (const c of chunks) expect(c).not.toContain('\uFFFD');
        split += chunks.filter((c) => c === '').length - 1; // tokens that ended inside a character
      }
      // The inputs do spread characters over several tokens, so the streaming path is exercised.
      expect(split).toBeGreaterThan(0);
    });
  }

  it('SentencePiece byte-fallback tokens are raw bytes for text, where run.c printing drops them', () => {
    const tokens = sp.encode('東');
    expect(tokens.length).toBe(1 + 3 + 1); // BOS, the dummy-prefix space, three byte tokens
    // After BOS the dummy-prefix space is dropped, as run.c does.
    expect(tokensToText(sp, tokens.slice(1), tokens[0])).toBe('東');
    expect(sp.decode(tokens)).not.toContain('東');
  });

  it('an incomplete character at the end becomes U+FFFD, as decoding all at once does', () => {
    const tokens = bpe.encode('🙂', { bos: false });
    expect(tokens.length).toBeGreaterThan(1);
    const cut = tokens.slice(0, -1);
    const s = new TokenTextStream(bpe);
    const out = cut.map((t) => s.push(t)).join('') + s.flush();
    expect(out).toBe(tokensToText(bpe, cut));
    expect(out).toContain('\uFFFD');
  });
});

/** Reference: the text before the first occurrence of any stop string in the whole text. */
function cutAtStop(text: string, stops: string[]): { text: string; stopped: boolean } {
  let first = -1;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  return first < 0 ? { text, stopped: false } : { text: text.slice(0, first), stopped: true };
}

describe('StopStringMatcher', () => {
  it('emits exactly the text before the first stop string, however the text is chunked (2000 random cases)', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const alphabet = 'abAB\n: ';
    let stoppedCases = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const text = Array.from({ length: rand(40) }, () => alphabet[rand(alphabet.length)]).join('');
      const stops = Array.from({ length: 1 + rand(3) }, () => Array.from({ length: 1 + rand(4) }, () => alphabet[rand(alphabet.length)]).join(''));
      const m = new StopStringMatcher(stops);
      let out = '';
      let stopped = false;
      for (let i = 0; i < text.length && !stopped; ) {
        const n = 1 + rand(5);
        const r = m.push(text.slice(i, i + n));
        out += r.text;
        stopped = r.stopped;
        i += n;
      }
      if (!stopped) out += m.flush();
      const want = cutAtStop(text, stops);
      expect({ out, stopped }).toEqual({ out: want.text, stopped: want.stopped });
      if (stopped) stoppedCases++;
    }
    expect(stoppedCases).toBeGreaterThan(200);
  });
});
