// Runs the built bin as a user would: a separate process, exit code and both streams.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sharedFixtureDir } from '@kvkit/fixtures';

export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const STORIES = sharedFixtureDir('models/stories260K');
export const GGUF = `${STORIES}stories260K.gguf`;

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function kvkit(args: readonly string[], opts: { cwd?: string; input?: string } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: opts.cwd, input: opts.input ?? '', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON a successful `--format json` run prints (one object; the last line for chat's JSON lines). */
export function json(args: readonly string[], opts: { cwd?: string; input?: string } = {}): any {
  const r = kvkit([...args, '--format', 'json'], opts);
  if (r.status !== 0) throw new Error(`kvkit ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
