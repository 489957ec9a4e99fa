// The main entry is browser-safe: walking the static import graph of the built package from
// dist/index.js (and of the sources from src/index.ts, which cannot be stale) reaches no Node built-in,
// neither as `node:x` nor as a bare built-in name. The `./node` entry is walked too, to show the walk
// does find the Node imports that are there.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
/** import/export ... from 'x', import 'x', import('x') with a literal specifier. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n]+)\1/g;
const BUILTINS = new Set(builtinModules);

/** Every specifier outside the package reached from `entry`, and the files walked. */
function walk(entry: string, toFile: (spec: string) => string): { external: Set<string>; files: number } {
  const external = new Set<string>();
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    expect(existsSync(file), `${file} (imported in the graph) exists`).toBe(true);
    for (const [, , spec] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (spec!.startsWith('.')) todo.push(resolve(dirname(file), toFile(spec!)));
      else external.add(spec!);
    }
  }
  return { external, files: seen.size };
}

const isNode = (spec: string) => spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0]!);
const dist = (name: string) => resolve(root, 'dist', name);
const built = existsSync(dist('index.js')) && existsSync(dist('node.js'));

describe('@kvkit/tensor main entry imports nothing from Node', () => {
  it.runIf(built)('dist/index.js: no node: or built-in specifier in its whole import graph', () => {
    const { external, files } = walk(dist('index.js'), (s) => s);
    expect(files).toBeGreaterThan(20);
    expect([...external].filter(isNode)).toEqual([]);
  });

  it('src/index.ts: the same for the sources', () => {
    const { external, files } = walk(resolve(root, 'src/index.ts'), (s) => s.replace(/\.js$/, '.ts'));
    expect(files).toBeGreaterThan(20);
    expect([...external].filter(isNode)).toEqual([]);
  });

  it.runIf(built)('dist/node.js reaches node:worker_threads and node:os (the walk finds Node imports where they are)', () => {
    const { external } = walk(dist('node.js'), (s) => s);
    expect([...external].filter(isNode).sort()).toEqual(['node:os', 'node:worker_threads']);
  });

  it('the package is built (run `pnpm --filter @kvkit/tensor build` first)', () => {
    expect(built).toBe(true);
  });
});
