// What every public package must publish with: a README (the npm page), and the package.json fields
// saying what it contains (`files`), its licence, where its source is (`repository` with the
// package's folder) and the Node it needs.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { expect } from './report.js';
import type { PublicPackage } from './workspace.js';

interface Manifest {
  license?: unknown;
  files?: unknown;
  repository?: { type?: unknown; url?: unknown; directory?: unknown } | string;
  engines?: { node?: unknown };
  exports?: unknown;
}

export const NODE_RANGE = '>=20';

/** Throws naming the field to set when one is missing or wrong; the fields' values otherwise. */
export function checkMetadata(repoRoot: string, pkg: PublicPackage): string[] {
  const m = JSON.parse(readFileSync(`${pkg.dir}/package.json`, 'utf8')) as Manifest;
  const where = relative(repoRoot, pkg.dir);
  expect(existsSync(`${pkg.dir}/README.md`), `${where} has no README.md (the package's npm page; it needs a runnable example)`);
  expect(typeof m.license === 'string' && m.license !== '', `${where}/package.json: set "license"`);
  expect(Array.isArray(m.files) && m.files.length > 0, `${where}/package.json: set "files" (what the tarball contains)`);
  const repo = m.repository;
  expect(typeof repo === 'object' && typeof repo.url === 'string', `${where}/package.json: set "repository": { "type": "git", "url": ..., "directory": "${where}" }`);
  expect(repo.directory === where, `${where}/package.json: "repository.directory" must be "${where}", is ${JSON.stringify(repo.directory)}`);
  expect(m.engines?.node === NODE_RANGE, `${where}/package.json: "engines": { "node": "${NODE_RANGE}" } is required, found ${JSON.stringify(m.engines)}`);
  return [`README.md, license ${m.license}, files ${JSON.stringify(m.files)}, repository ${String(repo.url)} (${repo.directory}), engines.node ${NODE_RANGE}`];
}
