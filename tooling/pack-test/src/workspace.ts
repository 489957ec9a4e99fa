// The repository as the pack test sees it: its public packages (every folder under packages/ whose
// package.json is not private) and the versions of tools the temporary project installs to match.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PublicPackage {
  readonly name: string;
  readonly version: string;
  /** Absolute folder. */
  readonly dir: string;
}

/** Packages the issue requires to be published; a missing one fails the test. */
export const REQUIRED_PACKAGES = [
  '@kvkit/tensor',
  '@kvkit/loaders',
  '@kvkit/cache',
  '@kvkit/runtime',
  '@kvkit/webgpu',
  '@kvkit/models',
  '@kvkit/eval',
  'kvkit',
] as const;

interface Manifest {
  name?: string;
  version?: string;
  private?: boolean;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Every non-private package under packages/, sorted by name. */
export function publicPackages(repoRoot: string): PublicPackage[] {
  const base = join(repoRoot, 'packages');
  const found: PublicPackage[] = [];
  for (const entry of readdirSync(base, { withFileTypes: true })) {
    const file = join(base, entry.name, 'package.json');
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const m = readJson<Manifest>(file);
    if (m.private || !m.name || !m.version) continue;
    found.push({ name: m.name, version: m.version, dir: join(base, entry.name) });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The version of `pkg` that `from` (a folder inside the repository) resolves, e.g. vite or typescript. */
export function installedVersion(from: string, pkg: string): string {
  let dir = from;
  for (;;) {
    const file = join(dir, 'node_modules', pkg, 'package.json');
    if (existsSync(file)) return readJson<Manifest>(file).version!;
    const up = join(dir, '..');
    if (up === dir) throw new Error(`${pkg} is not installed in the repository (run pnpm install)`);
    dir = up;
  }
}

/** The `bin` entry `name` of the package `pkg` installed at the repository root, as an absolute path. */
export function rootBin(repoRoot: string, pkg: string, name: string): string {
  const dir = join(repoRoot, 'node_modules', pkg);
  const bin = readJson<{ bin?: string | Record<string, string> }>(join(dir, 'package.json')).bin;
  const rel = typeof bin === 'string' ? bin : bin?.[name];
  if (!rel) throw new Error(`${pkg} has no bin ${name}`);
  return join(dir, rel);
}
