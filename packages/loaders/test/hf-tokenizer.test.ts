// The project's byte-level BPE tokenizer.json, read through @huggingface/tokenizers, must give the ids
// the training scripts' own Python encoder gave (fixtures/bpe-python.json, written by
// tooling/train/kvkit_train/tokenizer_fixture.py).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import { HfTokenizer, MalformedFileError } from '../src/index.js';
import { thrown } from './shared.js';

const TOKENIZER = fileURLToPath(new URL('../../models/gqa/tokenizer.json', import.meta.url));
const FIXTURE = JSON.parse(readFileSync(new URL('./fixtures/bpe-python.json', import.meta.url), 'utf8')) as {
  samples: { text: string; ids: number[] }[];
  heldout: { tokens: number; sha256: string };
};
const TINYSTORIES = sharedFixture('data/tinystories-valid-prefix/tinystories_val.txt');

describe('HF tokenizer.json (byte-level BPE)', () => {
  const json = JSON.parse(readFileSync(TOKENIZER, 'utf8'));
  const tok = new HfTokenizer(json, { bosId: 1, eosId: 2 });

  it('encodes as the Python encoder did, BOS first unless told', () => {
    expect(tok.vocabSize).toBe(1024);
    for (const { text, ids } of FIXTURE.samples) {
      expect(tok.encode(text, { bos: false }), text).toEqual(ids);
      expect(tok.encode(text)).toEqual([1, ...ids]);
    }
    expect(tok.encode('a', { bos: false, eos: true })).toEqual([...tok.encode('a', { bos: false }), 2]);
  });

  it('encodes the whole held-out text identically', () => {
    const text = readFileSync(TINYSTORIES, 'utf8');
    const heldout = text.slice(text.indexOf('\n\n', Math.floor(text.length * 0.9)) + 2);
    const ids = tok.encode(heldout, { bos: false });
    expect(ids.length).toBe(FIXTURE.heldout.tokens);
    expect(createHash('sha256').update(ids.join(',')).digest('hex')).toBe(FIXTURE.heldout.sha256);
  });

  it('gives each token its own bytes, so pieces of a split character join back into UTF-8', () => {
    for (const { text, ids } of FIXTURE.samples) {
      const bytes = ids.flatMap((id, i) => [...tok.decodePiece(i ? ids[i - 1]! : 1, id)]);
      expect(new TextDecoder().decode(Uint8Array.from(bytes))).toBe(text);
      expect(tok.decode([1, ...ids, 2])).toBe(text);
    }
    // 😀 is four bytes in several tokens: no single piece is valid UTF-8 on its own.
    const emoji = tok.encode('😀', { bos: false });
    expect(emoji.length).toBeGreaterThan(1);
    expect(tok.decodePiece(1, 1)).toEqual(new Uint8Array(0));
  });

  it('rejects what is not a tokenizer', () => {
    expect(thrown(() => new HfTokenizer({ version: '1.0' }, { bosId: 1, eosId: 2 }), MalformedFileError).message).toMatch(/no "model"/);
    expect(thrown(() => new HfTokenizer(json, { bosId: 5000, eosId: 2 }), MalformedFileError).message).toMatch(/bos id 5000/);
  });
});
