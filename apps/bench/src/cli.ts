#!/usr/bin/env node
import { KvkitError } from '@kvkit/tensor';
import { UsageError } from './args.js';
import { benchCommand, benchHelp, SUITES, suiteCommand } from './commands/bench.js';
import { benchKernelsCommand, benchKernelsHelp } from './commands/bench-kernels.js';
import { generateCommand, generateHelp } from './commands/generate.js';
import { evalPplCommand, evalPplHelp } from './commands/eval-ppl.js';
import { evalNeedleCommand, evalNeedleHelp } from './commands/eval-needle.js';
import { planCommand, planHelp } from './commands/plan.js';
import { policySelectCommand, policySelectHelp } from './commands/policy-select.js';

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  generate: generateCommand,
  bench: benchCommand,
  ...Object.fromEntries(SUITES.map((s) => [`bench ${s.name}`, suiteCommand(s)])),
  'bench kernels': benchKernelsCommand,
  'policy select': policySelectCommand,
  plan: planCommand,
  'eval ppl': evalPplCommand,
  'eval needle': evalNeedleCommand,
};

const help = `kvkit: KV-cache runtime for language models

${generateHelp}
${benchHelp}
${benchKernelsHelp}
${policySelectHelp}
${planHelp}
${evalPplHelp}
${evalNeedleHelp}
`;

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(help);
    return 0;
  }
  const two = argv.slice(0, 2).join(' ');
  const [name, rest] = commands[two] ? [two, argv.slice(2)] : [argv[0]!, argv.slice(1)];
  const run = commands[name];
  if (!run) throw new UsageError(`unknown command '${argv.slice(0, 2).join(' ')}'\n\n${help}`);
  await run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof KvkitError) {
      process.stderr.write(`kvkit: ${e.code}: ${e.message}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    }
    process.stderr.write(`kvkit: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(70);
  },
);
