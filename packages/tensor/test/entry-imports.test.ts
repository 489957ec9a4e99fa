// The main entry is browser-safe: walking the static import graph of the built package from
// dist/index.js (and of the sources from src/index.ts, which cannot be stale) reaches no Node built-in,
// neither as `node:x` nor as a bare built-in name. The `./node` entry is walked too, to show the walk
// does find the Node imports that are there.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importGraph, isNodeBuiltin } from '@kvkit/fixtures';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (name: string) => resolve(root, 'dist', name);
const built = existsSync(dist('index.js')) && existsSync(dist('node.js'));

describe('@kvkit/tensor main entry imports nothing from Node', () => {
  it.runIf(built)('dist/index.js: no node: or built-in specifier in its whole import graph', () => {
    const { external, files } = importGraph(dist('index.js'));
    expect(files.length).toBeGreaterThan(20);
    expect(external.filter(isNodeBuiltin)).toEqual([]);
  });

  it('src/index.ts: the same for the sources', () => {
    const { external, files } = importGraph(resolve(root, 'src/index.ts'), { source: true });
    expect(files.length).toBeGreaterThan(20);
    expect(external.filter(isNodeBuiltin)).toEqual([]);
  });

  it.runIf(built)('dist/node.js reaches node:worker_threads and node:os (the walk finds Node imports where they are)', () => {
    expect(importGraph(dist('node.js')).external.filter(isNodeBuiltin)).toEqual(['node:os', 'node:worker_threads']);
  });

  it('the package is built (run `pnpm --filter @kvkit/tensor build` first)', () => {
    expect(built).toBe(true);
  });
});
