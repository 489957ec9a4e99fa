// The main entry must bundle for a page: no `node:` import reachable from src/index.ts.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from\s+'(\.[^']+)'/gm)) {
    reachable(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')), seen);
  }
  return seen;
}

describe('@kvkit/eval main entry', () => {
  it('reaches no node: module', () => {
    const files = reachable(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
    expect(files.size).toBeGreaterThan(5);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/from\s+'node:/);
    expect(readFileSync(fileURLToPath(new URL('../src/node.ts', import.meta.url)), 'utf8')).toMatch(/from 'node:fs'/);
  });
});
