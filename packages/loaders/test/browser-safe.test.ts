// The built main entry must bundle for a page: no `node:` module (nor a bare Node built-in) may be reachable
// from dist/index.js through static imports, re-exports or literal dynamic imports.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from '…', export { x } from '…'
  /\bimport\s*['"]([^'"]+)['"]/g, // import '…'
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // import('…')
];
const BUILTINS = new Set(builtinModules);

interface Graph {
  /** Files reached, relative to dist/. */
  readonly files: string[];
  /** `file: specifier` of every import of a Node built-in. */
  readonly nodeImports: string[];
}

function walk(entry: string): Graph {
  const seen = new Set<string>();
  const nodeImports: string[] = [];
  const stack = [resolve(DIST, entry)];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const re of SPECIFIERS) {
      for (const [, spec] of code.matchAll(re)) {
        if (spec.startsWith('.')) stack.push(resolve(dirname(file), spec));
        else if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!)) nodeImports.push(`${relative(DIST, file)}: ${spec}`);
      }
    }
  }
  return { files: [...seen].map((f) => relative(DIST, f)).sort(), nodeImports };
}

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
    const g = walk(join('node', 'index.js'));
    expect(g.nodeImports).toContain(`${join('node', 'read-file.js')}: node:fs/promises`);
  });
});
