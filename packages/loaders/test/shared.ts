// The stories260K fixtures (../shared beside the repository, else .fixtures/ from `pnpm fixtures`) and test helpers.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { sharedFixtureDir } from '@kvkit/fixtures';

export const STORIES_DIR = sharedFixtureDir('models/stories260K');

const cache = new Map<string, Uint8Array>();
/** A fixture's bytes (read once; callers must not mutate them). */
export function shared(name: string): Uint8Array {
  let b = cache.get(name);
  if (!b) {
    const buf = readFileSync(STORIES_DIR + name);
    b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    cache.set(name, b);
  }
  return b;
}

/** Runs `fn` and returns what it threw, failing when it returns or throws something else than `type`. */
export function thrown<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(type);
    return e as E;
  }
  expect.fail(`expected ${type.name}, nothing was thrown`);
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomF32(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

/** Index of the first differing byte, -1 when equal (vitest's deep equality is slow on megabytes). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
