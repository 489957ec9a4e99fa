// The fresh project a user would make: an empty folder outside the repository, the tarballs and the
// tools (vite, typescript) installed with plain npm in one `npm install`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execOk } from './exec.js';
import type { Tarball } from './pack.js';
import { expect } from './report.js';

export interface ProjectTools {
  readonly vite: string;
  readonly typescript: string;
}

/** Writes a package.json into `dir` and installs `tarballs` and the tools from the npm registry. */
export async function installProject(dir: string, tarballs: readonly Tarball[], tools: ProjectTools, env: NodeJS.ProcessEnv): Promise<string[]> {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'kvkit-user', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  const specs = [...tarballs.map((t) => t.file), `vite@${tools.vite}`, `typescript@${tools.typescript}`];
  const r = await execOk('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: dir, env, timeoutMs: 300_000 });
  return [`npm install ${tarballs.length} tarballs + vite@${tools.vite} typescript@${tools.typescript}: ${r.stdout.trim().split('\n').pop() ?? ''}`];
}

interface LockEntry {
  version?: string;
  resolved?: string;
}

/**
 * Every kvkit package in the project is the local tarball (none fetched from the registry, none
 * nested at another version), and the optional peers (Dawn, node-llama-cpp) were not installed.
 */
export function checkInstalledFromTarballs(dir: string, tarballs: readonly Tarball[]): string[] {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const names = new Set(tarballs.map((t) => t.pkg.name));
  const lines: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!names.has(name)) continue;
    expect(path === `node_modules/${name}`, `${name} is installed nested at ${path} (version ${entry.version}): a dependency range does not accept the packed version`);
    expect(entry.resolved?.startsWith('file:'), `${name} was installed from ${entry.resolved}, not from its tarball`);
  }
  for (const t of tarballs) expect(lock.packages[`node_modules/${t.pkg.name}`], `${t.pkg.name} is missing from the installed project`);
  lines.push(`all ${names.size} kvkit packages resolve to the local tarballs, none nested`);
  for (const peer of ['webgpu', 'node-llama-cpp']) {
    expect(!existsSync(join(dir, 'node_modules', peer)), `${peer} was installed, but it is an optional peer that a user who only wants generate must not get`);
  }
  lines.push('optional peers webgpu and node-llama-cpp not installed');
  return lines;
}
