// The contract between `kvkit bench` and its suites, and the argument helpers they share.
import { join } from 'node:path';
import type { Options } from '../args.js';
import { UsageError } from '../args.js';
import { Progress } from './progress.js';
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

export interface Suite {
  readonly name: string;
  /** One line (plus continuation lines) of `kvkit bench <name>` usage, common flags excluded. */
  readonly help: string;
  readonly options: Options;
  run(args: SuiteArgs, ctx: SuiteContext): Promise<SuiteReport>;
}

/** Flags every suite accepts. */
export const commonOptions = {
  quick: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  out: { type: 'string' },
  'models-dir': { type: 'string' },
  quiet: { type: 'boolean', default: false },
} as const satisfies Options;

export const commonHelp = '[--quick] [--json] [--out bench-results] [--models-dir <out>/models] [--quiet]';

export function suiteContext(a: SuiteArgs, quickDefault = false): SuiteContext {
  const out = typeof a.out === 'string' ? a.out : 'bench-results';
  const quiet = a.quiet === true;
  return {
    quick: a.quick === true || quickDefault,
    out,
    modelsDir: typeof a['models-dir'] === 'string' ? a['models-dir'] : join(out, 'models'),
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
