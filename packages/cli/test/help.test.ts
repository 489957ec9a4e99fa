import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PUBLIC_COMMANDS } from '../src/commands/index.js';
import { kvkit } from './run-kvkit.js';

const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('kvkit help', () => {
  it.each(PUBLIC_COMMANDS.map((c) => [c.name, c] as const))('kvkit %s --help lists every flag with its default and what is required', (name, cmd) => {
    const r = kvkit([...name.split(' '), '--help']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.startsWith(`kvkit ${name}: ${cmd.summary}\n`)).toBe(true);
    expect(r.stdout).toContain('Usage: kvkit ' + name);
    expect(r.stdout).toContain('optional unless marked (required)');
    for (const [flag, spec] of Object.entries(cmd.flags)) {
      const line = r.stdout.split('\n').findIndex((l) => l.startsWith(`  --${flag} `) || l === `  --${flag}` || l.startsWith(`  --${flag}\t`));
      expect(line, `--${flag} in the help of ${name}`).toBeGreaterThanOrEqual(0);
      const text = r.stdout.split('\n').slice(line, line + 2).join(' ');
      if (spec.default !== undefined) expect(text).toContain(`[default: ${spec.default}]`);
      if (spec.required) expect(text).toContain('(required)');
    }
    // -h anywhere after the command is help too, even after other flags.
    expect(kvkit([...name.split(' '), '--format', 'json', '-h']).stdout).toBe(r.stdout);
  });

  it('shows the defaults a new user asks about: seed, temperature, window', () => {
    const gen = kvkit(['generate', '--help']).stdout;
    expect(gen).toMatch(/--temperature <t>\s+0 is greedy \[default: 0\]/);
    expect(gen).toMatch(/--seed <n>.*\[default: a fresh one per run when --temperature > 0/);
    expect(gen).toMatch(/--window <n>.*observation window \(32\)/);
    expect(kvkit(['eval', 'ppl', '--help']).stdout).toMatch(/--window-len <tokens>.*\[default: 512/);
  });

  it('prints the version and the command list', () => {
    const v = kvkit(['--version']);
    expect(v).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    const top = kvkit([]);
    expect(top.status).toBe(0);
    for (const c of PUBLIC_COMMANDS) expect(top.stdout).toContain(`  ${c.name}`);
    expect(kvkit(['--help']).stdout).toBe(top.stdout);
  });

  it('answers an unknown command with the commands in a few lines and exit code 2', () => {
    const r = kvkit(['frobnicate', '--prompt', 'x']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines[0]).toBe("kvkit: unknown command 'frobnicate'");
    expect(r.stderr).toContain('generate, chat, plan, eval ppl|needle, policy select');
    const typo = kvkit(['generat']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain("did you mean 'generate'?");
    const sub = kvkit(['eval']);
    expect(sub.status).toBe(2);
    expect(sub.stderr).toContain('needs a subcommand: ppl, needle');
  });
});
