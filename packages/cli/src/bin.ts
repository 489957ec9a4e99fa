#!/usr/bin/env node
import { main } from './cli.js';
import { PUBLIC_COMMANDS } from './commands/index.js';
import { VERSION } from './version.js';

main(PUBLIC_COMMANDS, { version: VERSION });
