// Flag specs and the parser: `--name value`, `--name=value`, boolean `--name`; a value may start with a
// single dash (`--budget -5` is the value -5, checked by the command), never with two.
import { UsageError } from '../errors.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** Placeholder of the value in help, e.g. `<n>`, `<file>`, `text|json`. */
  readonly value?: string;
  /** What the flag does, one line. */
  readonly help: string;
  /** The default, as help shows it. */
  readonly default?: string;
  readonly required?: boolean;
  /** Help section (e.g. 'Sampling'); flags without one go under 'Options'. */
  readonly group?: string;
  /** Another way to write a flag: `--json` is `--format json`. Kept out of the synopsis. */
  readonly aliasOf?: { readonly flag: string; readonly value: string };
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Parsed flags: strings as given (validated by the command), booleans true when present. */
export type Flags = Readonly<Record<string, string | boolean | undefined>>;

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

/** Edit distance, for "did you mean --max-tokens?". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}

export function suggestion(name: string, names: readonly string[]): string {
  const best = names.map((n) => ({ n, d: distance(name, n) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.floor(name.length / 3)) ? best.n : '';
}

/** Parse `argv` against `specs` for `kvkit <command>`; every problem is a UsageError naming the flag. */
export function parseFlags(argv: readonly string[], specs: FlagSpecs, command: string): Flags {
  const out: Record<string, string | boolean> = {};
  const seeHelp = `see 'kvkit ${command} --help'`;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (!tok.startsWith('--')) {
      if (tok.startsWith('-') && tok.length > 1 && !/^-\d|^-\./.test(tok)) throw new UsageError(`unknown option ${tok} for 'kvkit ${command}'; ${seeHelp}`);
      throw new UsageError(`unexpected argument '${tok}' for 'kvkit ${command}': values follow their flag (--prompt "${tok}"); ${seeHelp}`);
    }
    const eq = tok.indexOf('=');
    const name = tok.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : tok.slice(eq + 1);
    const spec = specs[name];
    if (!spec) {
      const hint = suggestion(name, Object.keys(specs));
      throw new UsageError(`unknown option --${name} for 'kvkit ${command}'${hint ? ` (did you mean --${hint}?)` : ''}; ${seeHelp}`);
    }
    let value: string | boolean;
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value (got '${inline}')`);
      value = true;
    } else if (inline !== undefined) {
      value = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value${spec.value ? ` ${spec.value}` : ''}`);
      value = next;
      i++;
    }
    if (spec.aliasOf) {
      const prior = out[spec.aliasOf.flag];
      if (prior !== undefined && prior !== spec.aliasOf.value) throw new UsageError(`--${name} means --${spec.aliasOf.flag} ${spec.aliasOf.value}, but --${spec.aliasOf.flag} ${String(prior)} was given too`);
      out[spec.aliasOf.flag] = spec.aliasOf.value;
      continue;
    }
    out[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && out[name] === undefined) throw new UsageError(`--${name} is required: ${spec.help}; ${seeHelp}`);
  }
  return out;
}
