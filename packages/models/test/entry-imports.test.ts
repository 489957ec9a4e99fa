// The main entry is browser-safe: its static import graph (sources and, when built, dist) imports only
// @kvkit/tensor from outside the package, no Node built-in; the ./node entry's graph does reach node:url,
// which shows the walk sees Node imports where they are.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
/** import/export ... from 'x', import 'x', import('x') with a literal specifier. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n]+)\1/g;

function externalImports(entry: string, toFile: (spec: string) => string): string[] {
  const external = new Set<string>();
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, , spec] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (spec!.startsWith('.')) todo.push(resolve(dirname(file), toFile(spec!)));
      else external.add(spec!);
    }
  }
  return [...external].sort();
}

const ts = (s: string) => s.replace(/\.js$/, '.ts');
const built = existsSync(resolve(root, 'dist/index.js'));

describe('@kvkit/models entries', () => {
  it('src/index.ts reaches only @kvkit/tensor; src/node.ts adds Node built-ins', () => {
    expect(externalImports(resolve(root, 'src/index.ts'), ts)).toEqual(['@kvkit/tensor']);
    expect(externalImports(resolve(root, 'src/node.ts'), ts)).toEqual(['@kvkit/tensor', 'node:path', 'node:url']);
  });

  it.runIf(built)('dist/index.js: the same for the build', () => {
    expect(externalImports(resolve(root, 'dist/index.js'), (s) => s)).toEqual(['@kvkit/tensor']);
  });
});
