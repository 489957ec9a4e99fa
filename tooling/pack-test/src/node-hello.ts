// The README hello world run with node exactly as written (and with a local GGUF as its model).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, tail } from './exec.js';
import { expect } from './report.js';

/** What node printed before the final `console.log('\n', stats)`: the streamed text. */
export function streamedPart(stdout: string): string {
  const stats = stdout.lastIndexOf('\n {');
  return stats >= 0 ? stdout.slice(0, stats) : stdout;
}

/** Saves `code` as `file` in the project, runs `node file`, and checks it exits 0 having printed text. */
export async function runNodeHello(dir: string, file: string, code: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  writeFileSync(join(dir, file), code);
  const r = await exec(process.execPath, [file], { cwd: dir, env, timeoutMs: 180_000 });
  expect(r.code === 0, `node ${file} exited with ${r.code ?? r.signal}\nstdout: ${tail(r.stdout, 1500)}\nstderr: ${tail(r.stderr, 3000)}`);
  const text = streamedPart(r.stdout);
  const words = text.match(/[A-Za-z]{2,}/g) ?? [];
  expect(words.length >= 3, `node ${file} printed no streamed text (fewer than 3 words before the stats):\n${tail(r.stdout, 1500)}`);
  const lines = [`node ${file}: exit 0, ${words.length} words streamed: ${JSON.stringify(tail(text.trim(), 160))}`];
  if (r.stderr.trim()) lines.push(`stderr: ${tail(r.stderr.trim(), 300)}`);
  return lines;
}
