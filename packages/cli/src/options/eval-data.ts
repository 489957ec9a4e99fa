// The text an evaluation scores: the shipped held-out TinyStories text, or --data with a --split.
import { readFileSync } from 'node:fs';
import type { TextSplit } from '@kvkit/eval';
import { heldOutText, SHIPPED_TEXT } from '@kvkit/eval';
import { readShippedText, SHIPPED_TEXT_PATH } from '@kvkit/eval/node';
import type { Flags, FlagSpecs } from '../args/flags.js';
import { oneOf, str } from '../args/values.js';
import { UsageError } from '../errors.js';
import { readableFile } from '../paths.js';

const G = 'Data';
export const evalDataFlags = {
  data: { type: 'string', value: '<file>', help: 'a UTF-8 text file to score', default: `${SHIPPED_TEXT.name} (shipped with @kvkit/eval)`, group: G },
  split: { type: 'string', value: 'held-out|all', help: 'held-out: the text after the first blank line past 90 % (what the shipped models were not trained on); all: the whole file', default: 'held-out', group: G },
} as const satisfies FlagSpecs;

export interface EvalData {
  readonly text: string;
  /** What was scored, as reports state it. */
  readonly description: { readonly name: string; readonly file: string; readonly split: TextSplit; readonly license?: string };
}

export function evalData(flags: Flags): EvalData {
  const split = oneOf(flags, 'split', ['held-out', 'all'] as const) ?? 'held-out';
  const given = str(flags, 'data');
  if (given === undefined) {
    if (split === 'all') throw new UsageError('--split all needs --data: the shipped text is only the held-out split');
    return { text: readShippedText(), description: { name: SHIPPED_TEXT.name, file: SHIPPED_TEXT_PATH, split: 'held-out', license: SHIPPED_TEXT.license } };
  }
  const path = readableFile(given, 'data');
  const all = readFileSync(path, 'utf8');
  const text = split === 'held-out' ? heldOutText(all) : all;
  if (text.trim() === '') throw new UsageError(`--data ${given} has no held-out part (no blank line after 90 % of it): pass --split all to score the whole file`);
  return { text, description: { name: given, file: path, split } };
}

export function describeData(d: EvalData['description']): string {
  if (d.license) return `${d.name} (shipped with @kvkit/eval; the held-out split)`;
  return `${d.name}, ${d.split === 'held-out' ? 'held-out split (after the first blank line past 90 %)' : 'split all (the whole file)'}`;
}
