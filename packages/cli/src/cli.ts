// The dispatcher: `kvkit <command> [flags]` -> the command's run, with help, version and exit codes.
import { KvkitError } from '@kvkit/tensor';
import { parseFlags, suggestion, wantsHelp } from './args/flags.js';
import { commandHelp, commandList, topHelp } from './args/help.js';
import type { Command } from './command.js';
import { UsageError } from './errors.js';

export interface CliOptions {
  readonly version: string;
}

function findCommand(argv: readonly string[], commands: readonly Command[]): { cmd: Command; rest: readonly string[] } {
  const two = argv.slice(0, 2).join(' ');
  const byName = new Map(commands.map((c) => [c.name, c]));
  const cmd2 = byName.get(two);
  if (cmd2) return { cmd: cmd2, rest: argv.slice(2) };
  const cmd1 = byName.get(argv[0]!);
  if (cmd1) return { cmd: cmd1, rest: argv.slice(1) };
  const subs = commands.filter((c) => c.name.startsWith(`${argv[0]} `)).map((c) => c.name.split(' ')[1]!);
  if (subs.length) {
    const given = argv[1] === undefined || argv[1].startsWith('-') ? '' : ` '${argv[1]}'`;
    throw new UsageError(`'kvkit ${argv[0]}' needs a subcommand${given ? ` (unknown:${given})` : ''}: ${subs.join(', ')}`);
  }
  const hint = suggestion(argv[0]!, commands.map((c) => c.name.split(' ')[0]!));
  throw new UsageError(
    `unknown command '${argv[0]}'${hint ? ` (did you mean '${hint}'?)` : ''}\ncommands: ${commandList(commands).join(', ')}\nrun 'kvkit --help' for what each does`,
  );
}

/** Run one command line; resolves to the exit code (0 ok, 1 runtime error, 2 usage error). */
export async function runCli(argv: readonly string[], commands: readonly Command[], opts: CliOptions): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(topHelp(commands, opts.version));
      return 0;
    }
    if (argv[0] === '--version' || argv[0] === '-v') {
      process.stdout.write(`${opts.version}\n`);
      return 0;
    }
    const { cmd, rest } = findCommand(argv, commands);
    if (wantsHelp(rest)) {
      process.stdout.write(commandHelp(cmd));
      return 0;
    }
    await cmd.run(parseFlags(rest, cmd.flags, cmd.name));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kvkit: ${e.message}\n`);
      return 2;
    }
    if (e instanceof KvkitError) {
      process.stderr.write(`kvkit: ${e.code}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`kvkit: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

/** The process entry: run, then exit with the code (worker threads of a backend would keep it alive). */
export function main(commands: readonly Command[], opts: CliOptions): void {
  runCli(process.argv.slice(2), commands, opts).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
