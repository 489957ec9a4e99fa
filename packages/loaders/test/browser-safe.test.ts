// The built main entry must bundle for a page: no `node:` module (nor a bare Node built-in) may be reachable
// from dist/index.js through static imports, re-exports or literal dynamic imports.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importGraph, isNodeBuiltin } from '@kvkit/fixtures';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const walk = (entry: string) => {
  const g = importGraph(join(DIST, entry));
  return { files: g.files.map((f) => relative(DIST, f)), nodeImports: g.external.filter(isNodeBuiltin) };
};

describe('browser safety of the built main entry', () => {
  it('dist/ is built', () => {
    expect(existsSync(join(DIST, 'index.js')), 'run pnpm --filter @kvkit/loaders build first').toBe(true);
  });

  it('reaches no node: import from dist/index.js', () => {
    const g = walk('index.js');
    expect(g.files).toContain(join('load', 'load-model-from.js'));
    expect(g.files).toContain(join('gguf', 'reader.js'));
    expect(g.files.filter((f) => f.startsWith('node'))).toEqual([]);
    expect(g.nodeImports).toEqual([]);
  });

  it('finds the node: imports of dist/node/index.js (the walk sees them where they are)', () => {
    expect(walk(join('node', 'index.js')).nodeImports).toContain('node:fs/promises');
  });
});
