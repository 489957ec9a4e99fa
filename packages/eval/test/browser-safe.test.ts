// The main entry must bundle for a page: no Node built-in (node:x or a bare built-in name) is reachable
// from src/index.ts (or, when built, dist/index.js) through static imports, re-exports or literal
// dynamic imports. Node-only code sits behind the ./node subpath.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importGraph, isNodeBuiltin } from '@kvkit/fixtures';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('@kvkit/eval main entry', () => {
  it('src/index.ts reaches no Node built-in', () => {
    const g = importGraph(src, { source: true });
    expect(g.files.length).toBeGreaterThan(5);
    expect(g.external.filter(isNodeBuiltin)).toEqual([]);
  });

  it('src/node.ts does reach node:fs (the walk sees Node imports where they are)', () => {
    expect(importGraph(fileURLToPath(new URL('../src/node.ts', import.meta.url)), { source: true }).external).toContain('node:fs');
  });

  it.runIf(existsSync(dist))('dist/index.js: the same for the build', () => {
    expect(importGraph(dist).external.filter(isNodeBuiltin)).toEqual([]);
  });
});
