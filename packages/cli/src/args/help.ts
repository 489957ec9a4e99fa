import type { Command } from '../command.js';
import type { FlagSpec } from './flags.js';

function flagLabel(name: string, spec: FlagSpec): string {
  return `--${name}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`;
}

/** `kvkit <command> --help`: a synopsis, the flags by group with their defaults, then the details. */
export function commandHelp(cmd: Command): string {
  const entries = Object.entries(cmd.flags);
  const required = entries.filter(([, s]) => s.required);
  const synopsis = [`kvkit ${cmd.name}`, ...required.map(([n, s]) => flagLabel(n, s)), ...(entries.length > required.length ? ['[options]'] : [])].join(' ');
  const width = Math.min(30, Math.max(...entries.map(([n, s]) => flagLabel(n, s).length), 10) + 2);
  const groups = new Map<string, string[]>();
  for (const [name, spec] of entries) {
    const label = flagLabel(name, spec);
    const tags = [spec.required ? '(required)' : '', spec.default !== undefined ? `[default: ${spec.default}]` : '', spec.aliasOf ? `(same as --${spec.aliasOf.flag} ${spec.aliasOf.value})` : ''].filter(Boolean).join(' ');
    const text = [spec.help, tags].filter(Boolean).join(' ');
    const line = label.length + 2 > width ? `  ${label}\n  ${' '.repeat(width)}${text}` : `  ${label.padEnd(width)}${text}`;
    const group = spec.group ?? 'Options';
    groups.set(group, [...(groups.get(group) ?? []), line]);
  }
  const sections = [...groups].map(([g, lines]) => `${g}:\n${lines.join('\n')}`);
  return [
    `kvkit ${cmd.name}: ${cmd.summary}`,
    '',
    `Usage: ${synopsis}`,
    '',
    ...sections.flatMap((s) => [s, '']),
    'Every flag is optional unless marked (required). Paths are relative to the current directory.',
    ...(cmd.details ? ['', cmd.details.trimEnd()] : []),
    '',
  ].join('\n');
}

/** Command names grouped by their first word: `eval ppl|needle`. */
export function commandList(commands: readonly Command[]): string[] {
  const groups = new Map<string, string[]>();
  for (const c of commands) {
    const [head, tail] = c.name.split(' ') as [string, string | undefined];
    groups.set(head, [...(groups.get(head) ?? []), tail ?? '']);
  }
  return [...groups].map(([head, tails]) => {
    const subs = tails.filter(Boolean);
    if (subs.length === 0) return head;
    return tails.includes('') ? `${head} [${subs.join('|')}]` : `${head} ${subs.join('|')}`;
  });
}

/** `kvkit --help`: every command with its summary. */
export function topHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  return [
    `kvkit ${version}: run language models with a KV cache you control`,
    '',
    'Usage: kvkit <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'kvkit <command> --help' for a command's flags and defaults; 'kvkit --version' for the version.",
    'Every command takes --format text|json; exit codes: 0 ok, 1 runtime error, 2 usage error.',
    '',
    'Examples:',
    '  kvkit generate --prompt "Once upon a time" --max-tokens 40',
    '  kvkit chat --system "You tell short stories."',
    '  kvkit plan --max-bytes 1000000',
    '  kvkit eval ppl --policy snapkv --budget 64 --compare',
    '',
  ].join('\n');
}
