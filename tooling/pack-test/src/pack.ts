// `pnpm pack` of each public package (pnpm rewrites `workspace:` ranges to the real versions).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execOk } from './exec.js';
import type { PublicPackage } from './workspace.js';

export interface Tarball {
  readonly pkg: PublicPackage;
  readonly file: string;
  readonly bytes: number;
}

/** Packs `pkg` into `dest` and returns the tarball it wrote. */
export async function packPackage(pkg: PublicPackage, dest: string): Promise<Tarball> {
  const before = new Set(readdirSync(dest));
  await execOk('pnpm', ['pack', '--pack-destination', dest], { cwd: pkg.dir, timeoutMs: 120_000 });
  const made = readdirSync(dest).filter((f) => f.endsWith('.tgz') && !before.has(f));
  if (made.length !== 1) throw new Error(`pnpm pack in ${pkg.dir} wrote ${made.length} tarballs (${made.join(', ')}), expected 1`);
  const file = join(dest, made[0]!);
  return { pkg, file, bytes: statSync(file).size };
}

/** `123.4 kB` (decimal units, as npm prints them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(2)} MB`;
}
