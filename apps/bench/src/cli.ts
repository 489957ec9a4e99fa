#!/usr/bin/env node
// `pnpm kvkit ...` for contributors: the public commands of the kvkit package plus the bench commands.
import { main, PUBLIC_COMMANDS, VERSION } from 'kvkit/commands';
import { benchCommand, SUITES, suiteCommand } from './commands/bench.js';
import { benchKernelsCommand } from './commands/bench-kernels.js';
import { FUZZ_COMMANDS } from './commands/fuzz.js';

// pnpm runs root scripts in the repository root; INIT_CWD is where the user typed the command, and
// paths on the command line are relative to it.
if (process.env.npm_lifecycle_event === 'kvkit' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

main([...PUBLIC_COMMANDS, benchCommand, ...SUITES.map(suiteCommand), benchKernelsCommand, ...FUZZ_COMMANDS], { version: `${VERSION} (repository bench)` });
