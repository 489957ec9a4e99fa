import type { Flags, FlagSpecs } from './args/flags.js';

/** One `kvkit <name>` command: its flags (with help and defaults) and what it runs. */
export interface Command {
  /** One or two words: `generate`, `eval ppl`. */
  readonly name: string;
  /** What it does, one line. */
  readonly summary: string;
  readonly flags: FlagSpecs;
  /** Shown after the flags in `--help`: examples and notes. */
  readonly details?: string;
  /**
   * Runs with flags already parsed (unknown flags and missing values rejected). It checks every value
   * before it writes anything to stdout.
   */
  run(flags: Flags): Promise<void>;
}
