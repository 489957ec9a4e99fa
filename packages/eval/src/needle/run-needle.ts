// Accuracy of greedy retrieval over a grid of prompt lengths x needle depths.
import type { Tokenizer } from '@kvkit/loaders';
import type { LlamaModel, SessionOptions } from '@kvkit/runtime';
import { argmax, Session, XorshiftRng } from '@kvkit/runtime';
import type { Haystack } from './haystack.js';

export interface NeedleOptions {
  readonly lengths: readonly number[];
  readonly depths: readonly number[];
  /** Prompts per cell (different key, code and filler). */
  readonly trials: number;
  readonly seed: number;
  readonly session?: SessionOptions;
  readonly onPrompt?: (done: number, total: number) => void;
}

export interface NeedleCell {
  readonly length: number;
  readonly depth: number;
  readonly trials: number;
  readonly correct: number;
  readonly accuracy: number;
}

export interface NeedleResult {
  /** Mean over every prompt of the grid. */
  readonly accuracy: number;
  readonly grid: NeedleCell[];
  /** Cache bytes after the longest prompts' prefill, averaged (the memory the answer was read from). */
  readonly bytesAtLongest: number;
}

/** Up to this many tokens are generated: the space, five digits, and one more to see the number end. */
const MAX_NEW = 8;

/** The number the model answers with: digits after optional whitespace, up to the first non-digit. */
export function answerOf(text: string): string | undefined {
  return /^\s*(\d+)/.exec(text)?.[1];
}

/** Greedy continuation of `prompt` until a non-digit follows a digit, as text. */
async function greedyAnswer(model: LlamaModel, tok: Tokenizer, prompt: readonly number[], session: SessionOptions | undefined): Promise<{ text: string; bytes: number }> {
  using s = new Session(model, { ...session, maxTokens: prompt.length + MAX_NEW });
  let logits = await s.append(prompt);
  const bytes = s.stats().bytesUsed;
  const utf8 = new TextDecoder();
  let text = '';
  let prev = prompt[prompt.length - 1]!;
  for (let i = 0; i < MAX_NEW; i++) {
    const next = argmax(logits);
    const piece = utf8.decode(tok.decodePiece(prev, next));
    if (/\d/.test(text) && !/^\d/.test(piece)) break;
    text += piece;
    prev = next;
    if (i + 1 < MAX_NEW) logits = await s.append([next]);
  }
  return { text, bytes };
}

/**
 * Every cell's prompts come from a generator seeded by (seed, cell), so runs with other options see the
 * same prompts. A prompt is at most `length` tokens and leaves the answer room inside the context.
 */
export async function runNeedle(model: LlamaModel, tok: Tokenizer, haystack: Haystack, o: NeedleOptions): Promise<NeedleResult> {
  const grid: NeedleCell[] = [];
  const total = o.lengths.length * o.depths.length * o.trials;
  const longest = Math.max(...o.lengths);
  let done = 0;
  let right = 0;
  let bytes = 0;
  for (const [li, length] of o.lengths.entries()) {
    for (const [di, depth] of o.depths.entries()) {
      const rng = new XorshiftRng(o.seed * 1_000_003 + li * 1009 + di + 1);
      let correct = 0;
      for (let t = 0; t < o.trials; t++) {
        const p = haystack.prompt(Math.min(length, model.config.contextLength - MAX_NEW), depth, rng);
        const a = await greedyAnswer(model, tok, p.tokens, o.session);
        if (answerOf(a.text) === p.code) correct++;
        if (length === longest) bytes += a.bytes;
        o.onPrompt?.(++done, total);
      }
      right += correct;
      grid.push({ length, depth, trials: o.trials, correct, accuracy: correct / o.trials });
    }
  }
  return { accuracy: right / total, grid, bytesAtLongest: bytes / (o.depths.length * o.trials) };
}
