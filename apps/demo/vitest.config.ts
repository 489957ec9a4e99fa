import { defineConfig } from 'vitest/config';

// One Playwright suite against the built site; a loaded 2-core machine gets generous timeouts.
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 120_000 } });
