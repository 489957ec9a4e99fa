// The main entry is browser-safe: its static import graph (sources and, when built, dist) imports only
// @kvkit/tensor from outside the package, no Node built-in; the ./node entry's graph does reach node:url,
// which shows the walk sees Node imports where they are.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importGraph } from '@kvkit/fixtures';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const externalImports = (entry: string, source = false) => importGraph(entry, { source }).external;

const built = existsSync(resolve(root, 'dist/index.js'));

describe('@kvkit/models entries', () => {
  it('src/index.ts reaches only @kvkit/tensor; src/node.ts adds Node built-ins', () => {
    expect(externalImports(resolve(root, 'src/index.ts'), true)).toEqual(['@kvkit/tensor']);
    expect(externalImports(resolve(root, 'src/node.ts'), true)).toEqual(['@kvkit/tensor', 'node:path', 'node:url']);
  });

  it.runIf(built)('dist/index.js: the same for the build', () => {
    expect(externalImports(resolve(root, 'dist/index.js'))).toEqual(['@kvkit/tensor']);
  });
});
