// The `kvkit` command from the installed tarballs, as a new user runs it with npx.
import { exec, tail } from './exec.js';
import type { ExecResult } from './exec.js';
import { expect } from './report.js';

function show(r: ExecResult): string {
  return `exit ${r.code ?? r.signal}\nstdout: ${tail(r.stdout, 1500)}\nstderr: ${tail(r.stderr, 2500)}`;
}

/** `npx kvkit --help` exits 0 and lists the commands. */
export async function checkHelp(dir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const r = await exec('npx', ['kvkit', '--help'], { cwd: dir, env, timeoutMs: 60_000 });
  expect(r.code === 0, `npx kvkit --help failed: ${show(r)}`);
  for (const cmd of ['generate', 'chat']) expect(r.stdout.includes(cmd), `npx kvkit --help does not mention '${cmd}':\n${tail(r.stdout, 2000)}`);
  return [`npx kvkit --help: exit 0, ${r.stdout.split('\n').length} lines`];
}

interface GenerateJson {
  text?: unknown;
  completion?: unknown;
  generatedTokens?: unknown;
  finishReason?: unknown;
  backend?: { name?: unknown; kind?: unknown; threads?: unknown };
}

/** `npx kvkit generate ... --format json` with the shipped default model: one JSON object that says what ran. */
export async function checkGenerate(dir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const args = ['kvkit', 'generate', '--prompt', 'Once upon a time', '--max-tokens', '20', '--format', 'json'];
  const r = await exec('npx', args, { cwd: dir, env, timeoutMs: 180_000 });
  expect(r.code === 0, `npx ${args.join(' ')} failed: ${show(r)}`);
  let j: GenerateJson;
  try {
    j = JSON.parse(r.stdout) as GenerateJson;
  } catch (e) {
    throw new Error(`npx kvkit generate --format json did not print one JSON value (${(e as Error).message}):\n${tail(r.stdout, 2000)}`);
  }
  expect(typeof j.text === 'string' && j.text.trim() !== '', `JSON text is empty or missing: ${JSON.stringify(j.text)}`);
  expect(j.generatedTokens === 20 || j.finishReason === 'stop', `expected 20 generated tokens or finishReason 'stop', got generatedTokens ${JSON.stringify(j.generatedTokens)}, finishReason ${JSON.stringify(j.finishReason)}`);
  expect(typeof j.backend?.name === 'string' && j.backend.name !== '', `JSON backend.name is missing: backend ${JSON.stringify(j.backend)}`);
  return [
    `npx ${args.join(' ')}: exit 0`,
    `text ${JSON.stringify(tail(String(j.text), 160))}`,
    `generatedTokens ${String(j.generatedTokens)}, finishReason ${String(j.finishReason)}, backend ${JSON.stringify(j.backend)}`,
  ];
}

/** `npx kvkit chat` reading a conversation from a pipe: replies to the message, then ends on `/exit`. */
export async function checkChat(dir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const args = ['kvkit', 'chat', '--max-tokens', '20'];
  const r = await exec('npx', args, { cwd: dir, env, input: 'Hello\n/exit\n', timeoutMs: 180_000 });
  expect(r.code === 0, `npx ${args.join(' ')} < "Hello\\n/exit\\n" failed: ${show(r)}`);
  expect(r.stdout.trim() !== '', `npx kvkit chat printed no reply to "Hello":\n${show(r)}`);
  const eof = await exec('npx', args, { cwd: dir, env, input: 'Hello\n', timeoutMs: 180_000 });
  expect(eof.code === 0, `npx ${args.join(' ')} < "Hello\\n" (ends at EOF) failed: ${show(eof)}`);
  const lines = [`npx ${args.join(' ')} < "Hello\\n/exit\\n": exit 0, reply ${JSON.stringify(tail(r.stdout.trim(), 160))}`, `same with EOF instead of /exit: exit 0`];
  if (r.stderr.trim()) lines.push(`stderr: ${tail(r.stderr.trim(), 300)}`);
  return lines;
}
