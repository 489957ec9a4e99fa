import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    // One GPU (software or not) and two cores: run the files one after another.
    fileParallelism: false,
    // Software adapters are slow, and `pnpm test` runs every package at once on small machines.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
