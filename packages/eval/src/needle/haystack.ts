// Needle-in-a-haystack prompts: filler text cut at sentence boundaries, one fact at a depth, and the
// question at the end, worded exactly as the facts the project's models were trained on
// (tooling/train/kvkit_train/data.py).
import type { Tokenizer } from '@kvkit/loaders';
import { XorshiftRng } from '@kvkit/runtime';
import { TextTooShortError } from '../errors.js';

export const COLORS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'pink', 'brown', 'black', 'white', 'gray', 'golden'] as const;
export const OBJECTS = ['box', 'door', 'bag', 'cup', 'book', 'hat', 'car', 'ball', 'lamp', 'bed', 'shoe', 'tree'] as const;

export const factText = (color: string, object: string, code: string): string => ` The secret code of the ${color} ${object} is ${code}.`;
export const questionText = (color: string, object: string): string => `\nWhat is the secret code of the ${color} ${object}? The secret code of the ${color} ${object} is`;

export interface NeedlePrompt {
  readonly tokens: number[];
  readonly code: string;
  /** Token index of the fact's first token in `tokens`. */
  readonly factAt: number;
}

const SENTENCE_END = /[.!?]"?$/;

/** Filler tokens and the sentence boundaries a fact can be inserted at. */
export class Haystack {
  readonly tokens: readonly number[];
  /** Indices i where a sentence ends before tokens[i] and tokens[i] starts with whitespace. */
  readonly boundaries: readonly number[];
  readonly #tok: Tokenizer;

  constructor(tok: Tokenizer, text: string) {
    this.#tok = tok;
    this.tokens = tok.encode(text, { bos: false });
    const utf8 = new TextDecoder();
    const piece = (i: number): string => utf8.decode(tok.decodePiece(this.tokens[i - 1] ?? tok.bosId, this.tokens[i]!));
    const bounds: number[] = [];
    let prev = this.tokens.length ? piece(0) : '';
    for (let i = 1; i < this.tokens.length; i++) {
      const cur = piece(i);
      if (SENTENCE_END.test(prev) && /^\s/.test(cur)) bounds.push(i);
      prev = cur;
    }
    this.boundaries = bounds;
  }

  /**
   * A prompt of at most `length` tokens (BOS, filler, fact, question): the filler is the longest run
   * between two boundaries that fits, starting at a random boundary; the fact goes to the boundary
   * nearest `depth` (0 = first, 1 = just before the question).
   */
  prompt(length: number, depth: number, rng: XorshiftRng): NeedlePrompt {
    const tok = this.#tok;
    const pick = <T>(xs: readonly T[]): T => xs[rng.nextU32() % xs.length]!;
    const color = pick(COLORS);
    const object = pick(OBJECTS);
    const code = Array.from({ length: 5 }, () => String(rng.nextU32() % 10)).join('');
    const fact = tok.encode(factText(color, object, code), { bos: false });
    const question = tok.encode(questionText(color, object), { bos: false });
    const room = length - 1 - fact.length - question.length;
    const b = this.boundaries;
    const fits = b.filter((s) => s + room <= this.tokens.length);
    if (room < 1 || fits.length === 0) throw new TextTooShortError(`the filler text (${this.tokens.length} tokens) is too short for ${length}-token prompts`);
    const start = pick(fits);
    let end = start;
    for (const x of b) if (x > start && x - start <= room) end = x;
    const filler = this.tokens.slice(start, end);
    const slots = [0, ...b.filter((x) => x > start && x < end).map((x) => x - start), filler.length];
    const target = depth * filler.length;
    const at = slots.reduce((best, s) => (Math.abs(s - target) < Math.abs(best - target) ? s : best), slots[0]!);
    return { tokens: [tok.bosId, ...filler.slice(0, at), ...fact, ...filler.slice(at), ...question], code, factAt: 1 + at };
  }
}
