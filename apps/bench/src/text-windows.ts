import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tokenizer } from '@kvkit/loaders';
import { UsageError } from './args.js';
import { heldOutText } from './heldout.js';

export const TINYSTORIES = fileURLToPath(new URL('../../../../shared/data/tinystories-valid-prefix/tinystories_val.txt', import.meta.url));
export const WIKITEXT = fileURLToPath(new URL('../../../../shared/data/wikitext-2-raw-test/wiki.test.raw', import.meta.url));

/**
 * `count` windows of BOS + (len - 1) tokens from the first `chars` characters of a text file, or of its
 * held-out part (the last 10 %, which the project's models were not trained on) with `heldOut`.
 */
export function textWindows(tok: Tokenizer, path: string, chars: number, count: number, len: number, heldOut = false): number[][] {
  let text: string;
  try {
    const all = readFileSync(path, 'utf8');
    text = (heldOut ? heldOutText(all) : all).slice(0, chars);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const ids = tok.encode(text, { bos: false });
  const body = len - 1;
  const n = Math.min(count, Math.floor(ids.length / body));
  if (n < 1) throw new UsageError(`${path} (first ${chars} characters) has ${ids.length} tokens, fewer than one window of ${body}`);
  return Array.from({ length: n }, (_, i) => [tok.bosId, ...ids.slice(i * body, (i + 1) * body)]);
}
