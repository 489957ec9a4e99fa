import { describe, expect, it } from 'vitest';
import { MalformedFileError, SentencePieceBpeTokenizer, readGguf, readTok512, tokenizerFromGguf } from '../src/index.js';
import { rng, shared, thrown } from './shared.js';

const tok = readTok512(shared('tok512.bin'), 512);
const ggufTok = tokenizerFromGguf(readGguf(shared('stories260K.gguf')).metadata)!;
const reference = JSON.parse(new TextDecoder().decode(shared('reference_greedy.json'))) as {
  generated_ids: number[];
  text: string;
};

/** llama2.c run.c encode(), transcribed literally (O(n^2) rescans, byte fallback = byte + 3). */
function runcEncode(t: SentencePieceBpeTokenizer, text: string, bos: boolean, eos: boolean): number[] {
  const lookup = (s: string): number => t.pieceId(s) ?? -1;
  const tokens: number[] = [];
  if (bos) tokens.push(1);
  if (text.length > 0) tokens.push(lookup(' '));
  for (const cp of text) {
    const id = lookup(cp);
    if (id !== -1) tokens.push(id);
    else for (const b of new TextEncoder().encode(cp)) tokens.push(b + 3);
  }
  for (;;) {
    let bestScore = Math.fround(-1e10);
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup(t.pieces[tokens[i]] + t.pieces[tokens[i + 1]]);
      if (id !== -1 && t.scores[id] > bestScore) {
        bestScore = t.scores[id];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  if (eos) tokens.push(2);
  return tokens;
}

const SAMPLES = [
  'Once upon a time, there was a little girl named Lily.',
  'Hello\nworld\n\n  two  spaces\tand a tab',
  ' leading space',
  'emoji 😀 and accents: café, naïve, 日本語',
  '\u200a hair space piece',
  'a',
  ' ',
  '\n',
];

describe('tok512.bin', () => {
  it('has byte-fallback ids 3..258 and the documented special pieces', () => {
    expect(tok.vocabSize).toBe(512);
    expect(Array.from(tok.byteIds)).toEqual(Array.from({ length: 256 }, (_, b) => b + 3));
    expect(tok.pieces[1]).toBe('\n<s>\n');
    expect(tok.pieceId(' t')).toBe(259);
  });

  it('encodes exactly as run.c (literal transcription), with BOS/EOS options', () => {
    for (const s of SAMPLES) expect(tok.encode(s), JSON.stringify(s)).toEqual(runcEncode(tok, s, true, false));
    expect(tok.encode('hi there', { bos: false, eos: true })).toEqual(runcEncode(tok, 'hi there', false, true));
    expect(tok.encode('')).toEqual([1]);
    expect(tok.encode('', { bos: false })).toEqual([]);
  });

  it('matches run.c on random strings (heap merge order = rescan merge order)', () => {
    const next = rng(42);
    const alphabet = 'aeiou tnshrdlcmwy.,!?"\'\nTLOé😀';
    const chars = [...alphabet];
    for (let k = 0; k < 150; k++) {
      const len = Math.floor(next() * 40);
      let s = '';
      for (let i = 0; i < len; i++) s += chars[Math.floor(next() * chars.length)];
      expect(tok.encode(s), JSON.stringify(s)).toEqual(runcEncode(tok, s, true, false));
    }
    for (let k = 0; k < 20; k++) {
      const a = Math.floor(next() * reference.text.length);
      const s = reference.text.slice(a, a + 80);
      expect(tok.encode(s)).toEqual(runcEncode(tok, s, true, false));
    }
  });

  it('decodes the reference greedy generation to its text exactly and re-encodes to the same ids', () => {
    expect(tok.decode([1, ...reference.generated_ids])).toBe(reference.text);
    const ids = tok.encode(reference.text);
    expect(tok.decode(ids)).toBe(reference.text);
    expect(ids.slice(1)).toEqual(reference.generated_ids);
  });

  it('round-trips text that run.c prints fully', () => {
    for (const s of ['Hello world', 'Tom said, "Hi!"\nThe end.\n', '  two leading spaces', '\ttab', 'x\u200ay']) {
      expect(tok.decode(tok.encode(s)), JSON.stringify(s)).toBe(s);
    }
    expect(tok.decode(tok.encode('hi', { eos: true }))).toBe('hi');
  });

  it('drops lone non-printable bytes as safe_printf does (byte-fallback UTF-8 is not printed)', () => {
    expect(tok.pieceId('é')).toBeDefined(); // a piece: printed
    expect(tok.pieceId('😀')).toBeUndefined(); // four byte-fallback tokens, each a lone high byte: dropped
    expect(tok.decode(tok.encode('café 😀!'))).toBe('café !');
    expect(tok.decode(tok.encode('bell\u0007'))).toBe('bell');
  });

  it('decodePiece drops the leading space after BOS and turns <0xNN> into the raw byte', () => {
    const t = 259; // ' t'
    expect(Array.from(tok.decodePiece(1, t))).toEqual([0x74]);
    expect(Array.from(tok.decodePiece(100, t))).toEqual([0x20, 0x74]);
    expect(Array.from(tok.decodePiece(100, 3 + 0x0a))).toEqual([0x0a]);
    expect(Array.from(tok.decodePiece(100, 3 + 0x80))).toEqual([]);
    expect(Array.from(tok.decodePiece(100, 3 + 0x41))).toEqual([0x41]);
    expect(Array.from(tok.decodePiece(100, 1))).toEqual([]);
    expect(Array.from(tok.decodePiece(100, 2))).toEqual([]);
    expect(() => tok.decodePiece(1, 512)).toThrow(/outside the vocabulary/);
  });
});

describe('GGUF vocabulary of stories260K.gguf', () => {
  it('is the tok512 vocabulary (▁ -> space), with the same ids', () => {
    expect(ggufTok.vocabSize).toBe(512);
    expect(ggufTok.pieces.slice(3)).toEqual(tok.pieces.slice(3));
    expect(Array.from(ggufTok.scores)).toEqual(Array.from(tok.scores));
    expect(Array.from(ggufTok.byteIds)).toEqual(Array.from(tok.byteIds));
    expect([ggufTok.bosId, ggufTok.eosId, ggufTok.unkId]).toEqual([1, 2, 0]);
  });

  it('encodes and decodes like tok512', () => {
    for (const s of [...SAMPLES, '', reference.text]) {
      expect(ggufTok.encode(s), JSON.stringify(s)).toEqual(tok.encode(s));
    }
    expect(ggufTok.encode('')).toEqual([1]);
    expect(ggufTok.decode([1, ...reference.generated_ids])).toBe(reference.text);
  });
});

describe('readTok512 validation', () => {
  const bytes = shared('tok512.bin');
  const withInt32 = (offset: number, v: number): Uint8Array => {
    const b = bytes.slice();
    new DataView(b.buffer).setInt32(offset, v, true);
    return b;
  };
  it('rejects a token length past the end, a negative length, and one above max_token_length', () => {
    // Token 0: score at 4, len at 8.
    thrown(() => readTok512(withInt32(8, 1 << 30), 512), MalformedFileError);
    thrown(() => readTok512(withInt32(8, -1), 512), MalformedFileError);
    thrown(() => readTok512(withInt32(8, 8), 512), MalformedFileError);
    thrown(() => readTok512(withInt32(0, 0), 512), MalformedFileError);
  });
  it('rejects a truncated file, trailing bytes and a vocabulary size the file cannot hold', () => {
    for (const cut of [0, 3, 4, 7, 8, 11, 12, 100, bytes.length - 1]) thrown(() => readTok512(bytes.subarray(0, cut), 512), MalformedFileError);
    thrown(() => readTok512(bytes, 511), MalformedFileError);
    thrown(() => readTok512(bytes, 2 ** 40), MalformedFileError);
    thrown(() => readTok512(bytes, 513), MalformedFileError);
  });
});
