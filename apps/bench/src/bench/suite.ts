// The contract between `kvkit bench` and its suites, and the argument helpers they share.
import { join } from 'node:path';
import type { FlagSpec, FlagSpecs } from 'kvkit/commands';
import { Progress, UsageError, userPath, writableDir } from 'kvkit/commands';
import type { SuiteReport } from './report.js';

export interface SuiteContext {
  readonly quick: boolean;
  /** Base folder: the suite writes into `<out>/<suite>/`. */
  readonly out: string;
  /** Where generated GGUF models are cached (default `<out>/models`). */
  readonly modelsDir: string;
  readonly quiet: boolean;
  progress(label: string, total: number): Progress;
}

export type SuiteArgs = Record<string, string | boolean | undefined>;

export type SuiteOptions = Readonly<Record<string, { readonly type: 'string' | 'boolean' } & Partial<FlagSpec>>>;

export interface Suite {
  readonly name: string;
  /** What it measures, one line (`kvkit --help`). */
  readonly summary: string;
  /** One line (plus continuation lines) of `kvkit bench <name>` usage with every default, common flags excluded. */
  readonly help: string;
  /** Suite flags; their defaults are in `help`. */
  readonly options: SuiteOptions;
  run(args: SuiteArgs, ctx: SuiteContext): Promise<SuiteReport>;
}

/** Flags every suite accepts. */
export const commonOptions = {
  quick: { type: 'boolean', help: 'small sizes: the CI smoke run', group: 'Run' },
  out: { type: 'string', value: '<dir>', help: 'reports go to <dir>/<suite>/', default: 'bench-results', group: 'Run' },
  'models-dir': { type: 'string', value: '<dir>', help: 'where generated GGUF models are cached', default: '<out>/models', group: 'Run' },
  quiet: { type: 'boolean', help: 'no progress lines on stderr', group: 'Output' },
  format: { type: 'string', value: 'text|json', help: 'tables for people, or the report as JSON on stdout', default: 'text', group: 'Output' },
  json: { type: 'boolean', help: '', aliasOf: { flag: 'format', value: 'json' }, group: 'Output' },
} as const satisfies FlagSpecs;

/** The run's context; `--out` is made and checked writable here, before any suite starts. */
export function suiteContext(a: SuiteArgs, quickDefault = false): SuiteContext {
  const out = writableDir(typeof a.out === 'string' ? a.out : 'bench-results', 'out');
  const quiet = a.quiet === true;
  return {
    quick: a.quick === true || quickDefault,
    out,
    modelsDir: typeof a['models-dir'] === 'string' ? userPath(a['models-dir']) : join(out, 'models'),
    quiet,
    progress: (label, total) => new Progress(label, total, { quiet }),
  };
}

/** A comma-separated list, each item parsed and checked; the fallback when the flag is absent. */
export function listArg<T>(value: string | boolean | undefined, name: string, fallback: readonly T[], item: (s: string) => T | undefined): T[] {
  if (value === undefined) return [...fallback];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} needs a comma-separated list`);
  return value.split(',').map((s) => {
    const v = item(s.trim());
    if (v === undefined) throw new UsageError(`--${name}: bad item '${s}'`);
    return v;
  });
}

export const intItem =
  (min = 1) =>
  (s: string): number | undefined => {
    const n = Number(s);
    return Number.isSafeInteger(n) && n >= min ? n : undefined;
  };

export const oneOfItem =
  <T extends string>(allowed: readonly T[]) =>
  (s: string): T | undefined =>
    (allowed as readonly string[]).includes(s) ? (s as T) : undefined;

export function str(a: SuiteArgs, name: string): string | undefined {
  const v = a[name];
  return typeof v === 'string' ? v : undefined;
}
