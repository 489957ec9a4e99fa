import { defineConfig } from 'vitest/config';

// Tests spawn the CLI or run a real model: generous timeouts so a busy 2-core CI machine is not a failure.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
