// @kvkit/eval/node: the shipped evaluation text read from disk (Node only).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SHIPPED_TEXT } from './shipped-text.js';

/** Absolute path of the shipped held-out TinyStories text. */
export const SHIPPED_TEXT_PATH = fileURLToPath(new URL(`../${SHIPPED_TEXT.file}`, import.meta.url));

/** The shipped held-out TinyStories text (`SHIPPED_TEXT` describes it). */
export function readShippedText(): string {
  return readFileSync(SHIPPED_TEXT_PATH, 'utf8');
}
