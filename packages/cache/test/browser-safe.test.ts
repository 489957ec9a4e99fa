// The main entry must bundle for a page: no Node built-in (node:x or a bare built-in name) is reachable
// from src/index.ts (or, when built, dist/index.js) through static imports, re-exports or literal
// dynamic imports. Node-only code sits behind the ./node subpath.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importGraph, isNodeBuiltin } from '@kvkit/fixtures';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('@kvkit/cache main entry', () => {
  it('src/index.ts reaches no Node built-in', () => {
    const g = importGraph(src, { source: true });
    expect(g.files.length).toBeGreaterThan(5);
    expect(g.external.filter(isNodeBuiltin)).toEqual([]);
  });

  it.runIf(existsSync(dist))('dist/index.js: the same for the build', () => {
    expect(importGraph(dist).external.filter(isNodeBuiltin)).toEqual([]);
  });
});
