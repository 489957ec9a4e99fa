import { defineConfig } from 'vitest/config';

// Generous limits: CI runs every package's tests at once on a loaded 2-core machine; no test asserts speed.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
