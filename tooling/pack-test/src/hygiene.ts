// Release hygiene on each tarball as published: publint --strict, and Are the Types Wrong with the
// ESM-only profile (node10 and require() resolution are out of scope for ESM-only packages).
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { exec, tail } from './exec.js';
import type { Tarball } from './pack.js';
import { expect } from './report.js';
import { rootBin } from './workspace.js';

/** publint's verdict; throws with its whole output when it reports an error (warnings count, --strict). */
export async function runPublint(repoRoot: string, t: Tarball): Promise<string[]> {
  const r = await exec(process.execPath, [rootBin(repoRoot, 'publint', 'publint'), 'run', t.file, '--strict'], { cwd: repoRoot, timeoutMs: 120_000 });
  const out = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '').trim();
  expect(r.code === 0, `publint --strict failed (exit ${r.code}):\n${tail(out, 4000)}`);
  const verdict = out.split('\n').filter((l) => !/^(Running publint|Unpacking tarball|Linting)/.test(l));
  return verdict.map((l) => `publint --strict: ${l}`);
}

const CODE = new Set(['.js', '.mjs', '.cjs', '.json']);

/**
 * Subpath exports that map straight to a data file (e.g. `./data/x.txt`): attw only resolves code and
 * types, so it reports these as unresolvable; they are left out of its run and named in the verdict.
 */
export function dataExports(pkgDir: string): string[] {
  const { exports } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports?: unknown };
  if (!exports || typeof exports !== 'object') return [];
  return Object.entries(exports as Record<string, unknown>)
    .filter(([key, target]) => key.startsWith('./') && typeof target === 'string' && !CODE.has(extname(target)))
    .map(([key]) => key);
}

/** attw's verdict; throws with its whole output when a problem is not ignored by the ESM-only profile. */
export async function runAttw(repoRoot: string, t: Tarball): Promise<string[]> {
  const bin = rootBin(repoRoot, '@arethetypeswrong/cli', 'attw');
  const data = dataExports(t.pkg.dir);
  const args = [bin, t.file, '--profile', 'esm-only', '--no-color', '--no-emoji', '--format', 'table-flipped', ...(data.length ? ['--exclude-entrypoints', ...data] : [])];
  const r = await exec(process.execPath, args, { cwd: repoRoot, timeoutMs: 120_000 });
  const out = (r.stdout + r.stderr).trim();
  expect(r.code === 0, `attw --profile esm-only failed (exit ${r.code}):\n${tail(out, 6000)}`);
  const entrypoints = [...out.matchAll(/│ "([^"]+)"/g)].map((m) => m[1]!);
  const skipped = data.length ? `; data files not checked: ${data.join(', ')}` : '';
  return [`attw --profile esm-only: no problems; entrypoints ${entrypoints.join(', ') || '(none listed)'}${skipped}`];
}
