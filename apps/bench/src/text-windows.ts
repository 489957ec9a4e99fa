import { readFileSync } from 'node:fs';
import { heldOutText, TextTooShortError, textWindows } from '@kvkit/eval';
import type { Tokenizer } from '@kvkit/loaders';
import { UsageError } from 'kvkit/commands';


/**
 * `count` windows of BOS + (len - 1) tokens from the first `chars` characters of a text file, or of its
 * held-out part (the last 10 %, which the project's models were not trained on) with `heldOut`.
 */
export function fileWindows(tok: Tokenizer, path: string, chars: number, count: number, len: number, heldOut = false): number[][] {
  let text: string;
  try {
    const all = readFileSync(path, 'utf8');
    text = heldOut ? heldOutText(all) : all;
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return textWindows(tok, text, { count, length: len, chars });
  } catch (e) {
    if (e instanceof TextTooShortError) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
}
