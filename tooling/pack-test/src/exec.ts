// Child processes for the pack test: output captured, a hard time limit, and the environment a user
// has (no pnpm variables, no repository bin folders on PATH), so nothing resolves through the workspace.
import { spawn } from 'node:child_process';
import { delimiter, resolve, sep } from 'node:path';

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly cwd: string;
  /** Written to stdin, which is then closed (stdin is closed at once without it). */
  readonly input?: string;
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
}

export class ExecError extends Error {
  constructor(
    readonly command: string,
    readonly result: ExecResult,
  ) {
    super(`${command} ${result.signal ? `was killed (${result.signal})` : `exited with ${result.code}`}\n${tail(result.stderr || result.stdout, 3000)}`);
  }
}

/** The last `n` characters of `text`, marked when cut. */
export function tail(text: string, n: number): string {
  return text.length <= n ? text : `…${text.slice(-n)}`;
}

/** Runs `cmd args`; resolves with its output whatever the exit code (see `execOk`). */
export function exec(cmd: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // a child that exits without reading its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs `cmd args` and throws ExecError unless it exits 0. */
export async function execOk(cmd: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) throw new ExecError([cmd, ...args].join(' '), r);
  return r;
}

/**
 * The environment of a user's shell: npm/pnpm script variables removed (they would steer npm), and
 * PATH without folders inside the repository (pnpm puts the workspace's node_modules/.bin there).
 */
export function userEnv(repoRoot: string): NodeJS.ProcessEnv {
  const root = resolve(repoRoot) + sep;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|INIT_CWD$|TURBO_)/.test(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p && !(resolve(p) + sep).startsWith(root))
    .join(delimiter);
  return env;
}
