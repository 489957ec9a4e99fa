import type { Flags, FlagSpecs } from '../args/flags.js';
import { bool, oneOf } from '../args/values.js';

export const FORMATS = ['text', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export const formatFlags = {
  format: { type: 'string', value: 'text|json', help: 'output for people (text) or scripts (json, one object per line)', default: 'text', group: 'Output' },
} as const satisfies FlagSpecs;

/** `--json`, kept where it existed before `--format`. */
export const jsonAliasFlag = {
  json: { type: 'boolean', help: '', aliasOf: { flag: 'format', value: 'json' }, group: 'Output' },
} as const satisfies FlagSpecs;

export const verboseFlag = {
  verbose: { type: 'boolean', help: 'also print the backend, threads, seed and timings on stderr', group: 'Output' },
} as const satisfies FlagSpecs;

export const quietFlag = {
  quiet: { type: 'boolean', help: 'no progress lines on stderr', group: 'Output' },
} as const satisfies FlagSpecs;

export function formatOf(flags: Flags): Format {
  return oneOf(flags, 'format', FORMATS) ?? 'text';
}

export function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** A line for people on stderr (notes, verbose details), never mixed into stdout's output. */
export function note(line: string): void {
  process.stderr.write(`kvkit: ${line}\n`);
}

export function verbose(flags: Flags): boolean {
  return bool(flags, 'verbose');
}
