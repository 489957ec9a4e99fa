import type { Tokenizer } from '@kvkit/loaders';
import { TextTooShortError } from './errors.js';

export interface TextWindowOptions {
  /** Windows wanted; fewer come back when the text runs out (at least one, or it throws). */
  readonly count: number;
  /** Tokens per window, BOS included. */
  readonly length: number;
  /** Tokenize only the first `chars` characters (tokenizing a long text is slow); default: all. */
  readonly chars?: number;
}

/**
 * Consecutive windows of BOS + (length - 1) tokens from the start of `text`, for perplexity: each
 * window is an independent sequence. Throws `TextTooShortError` when not even one window fits.
 */
export function textWindows(tok: Tokenizer, text: string, o: TextWindowOptions): number[][] {
  if (!Number.isSafeInteger(o.length) || o.length < 2) throw new TextTooShortError(`a window needs at least 2 tokens, got ${o.length}`);
  const ids = tok.encode(o.chars === undefined ? text : text.slice(0, o.chars), { bos: false });
  const body = o.length - 1;
  const n = Math.min(o.count, Math.floor(ids.length / body));
  if (n < 1) throw new TextTooShortError(`the text has ${ids.length} tokens${o.chars === undefined ? '' : ` in its first ${o.chars} characters`}, fewer than one window of ${body}`);
  return Array.from({ length: n }, (_, i) => [tok.bosId, ...ids.slice(i * body, (i + 1) * body)]);
}
