import { readFileSync } from 'node:fs';
import type { PromptQK } from '@kvkit/cache';
import { selectFromQK } from '@kvkit/cache';
import { CpuBackend } from '@kvkit/tensor';
import type { Flags } from '../args/flags.js';
import { str } from '../args/values.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatFlags, formatOf, writeJson } from '../options/output.js';
import { cacheRequest, policyFlags } from '../options/policy.js';
import { readableFile } from '../paths.js';

const { 'max-bytes': _maxBytes, ...selectPolicyFlags } = policyFlags;

const flags = {
  input: { type: 'string', value: '<file.json>', help: '{"q": [layer][head][n][d], "k": [layer][kvHead][n][d]}, keys already rotated', required: true },
  ...selectPolicyFlags,
  policy: { ...policyFlags.policy, required: true, default: undefined },
  ...formatFlags,
} as const;

async function run(f: Flags): Promise<void> {
  const format = formatOf(f);
  const input = readableFile(str(f, 'input')!, 'input');
  const { policy } = cacheRequest(f);
  let qk: PromptQK;
  try {
    qk = JSON.parse(readFileSync(input, 'utf8')) as PromptQK;
  } catch (e) {
    throw new UsageError(`--input ${str(f, 'input')} is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(qk?.q) || !Array.isArray(qk?.k)) throw new UsageError(`--input ${str(f, 'input')} needs "q" and "k" arrays`);
  using backend = new CpuBackend();
  const { kept, report } = await selectFromQK(backend, qk, policy!);
  if (format === 'json') {
    writeJson({ kept, report });
    return;
  }
  const lines = kept.flatMap((layer, l) => layer.map((head, h) => `layer ${l} head ${h}: ${head.length} kept: ${head.join(' ')}`));
  process.stdout.write(lines.join('\n') + '\n');
}

export const policySelectCommand: Command = {
  name: 'policy select',
  summary: 'the prompt positions a policy keeps, for queries and keys given in a file',
  flags,
  details: `Example:
  kvkit policy select --input qk.json --policy snapkv --window 8 --budget 20 --format json`,
  run,
};
