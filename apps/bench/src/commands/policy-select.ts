import { readFileSync } from 'node:fs';
import type { PromptQK } from '@kvkit/cache';
import { selectFromQK } from '@kvkit/cache';
import { CpuBackend } from '@kvkit/tensor';
import { oneOf, parse, UsageError } from '../args.js';
import { policyFromArgs, policyHelp, policyOptions } from '../policy-args.js';

export const policySelectHelp = `kvkit policy select --policy <name> --input <file.json> --budget <B> [policy parameters] [--format json]
               input: {"q": [layer][head][n][d], "k": [layer][kvHead][n][d]} (keys rotated)`;

/** The prompt positions the runtime would keep after prefill, for queries and keys given in a file. */
export async function policySelectCommand(argv: string[]): Promise<void> {
  const a = parse(argv, { input: { type: 'string' }, format: { type: 'string' }, ...policyOptions });
  oneOf(a.format, 'format', ['json'] as const, 'json');
  if (!a.input) throw new UsageError(`--input is required\n${policySelectHelp}\n               ${policyHelp}`);
  const opts = policyFromArgs(a);
  if (!opts) throw new UsageError('--policy is required');
  let input: PromptQK;
  try {
    input = JSON.parse(readFileSync(a.input, 'utf8')) as PromptQK;
  } catch (e) {
    throw new UsageError(`cannot read ${a.input} as JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(input?.q) || !Array.isArray(input?.k)) throw new UsageError('the input needs "q" and "k" arrays');
  using backend = new CpuBackend();
  const { kept, report } = await selectFromQK(backend, input, opts);
  process.stdout.write(JSON.stringify({ kept, report }) + '\n');
}
