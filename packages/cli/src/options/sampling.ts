import type { Flags, FlagSpecs } from '../args/flags.js';
import { int, num } from '../args/values.js';

const G = 'Sampling';
export const samplingFlags = {
  temperature: { type: 'string', value: '<t>', help: '0 is greedy', default: '0', group: G },
  'top-k': { type: 'string', value: '<k>', help: 'sample among the k most likely tokens; 0 is off', default: '0', group: G },
  'top-p': { type: 'string', value: '<p>', help: 'sample among the most likely tokens holding p of the probability, in (0, 1]', default: '1', group: G },
  seed: { type: 'string', value: '<n>', help: 'sampling seed', default: 'a fresh one per run when --temperature > 0, printed with --format json and --verbose', group: G },
} as const satisfies FlagSpecs;

export interface Sampling {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  /** Absent: the runtime draws a fresh seed when sampling (and reports it). */
  readonly seed?: number;
}

export function sampling(flags: Flags): Sampling {
  const seed = int(flags, 'seed', 1, 2 ** 32 - 1);
  return {
    temperature: num(flags, 'temperature', 0) ?? 0,
    topK: int(flags, 'top-k', 0) ?? 0,
    topP: num(flags, 'top-p', 0, 1, true) ?? 1,
    ...(seed !== undefined ? { seed } : {}),
  };
}
