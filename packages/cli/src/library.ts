// `kvkit/commands`: the command table and the pieces a private tool (the repository's bench app) needs
// to add its own commands with the same flags, help, output and exit codes.
export type { Command } from './command.js';
export { main, runCli } from './cli.js';
export type { CliOptions } from './cli.js';
export { PUBLIC_COMMANDS, chatCommand, evalNeedleCommand, evalPplCommand, generateCommand, planCommand, policySelectCommand } from './commands/index.js';
export { parseFlags, wantsHelp } from './args/flags.js';
export type { Flags, FlagSpec, FlagSpecs } from './args/flags.js';
export { commandHelp, topHelp } from './args/help.js';
export { bool, int, intValue, list, num, numValue, oneOf, str } from './args/values.js';
export { PeerMissingError, UsageError } from './errors.js';
export { importPeer } from './peers.js';
export { readableFile, userPath, writableDir } from './paths.js';
export { Progress } from './progress.js';
export type { ProgressOptions } from './progress.js';
export { FORMATS, formatFlags, formatOf, jsonAliasFlag, note, quietFlag, verboseFlag, writeJson } from './options/output.js';
export type { Format } from './options/output.js';
export { BACKENDS, backendFlags, backendRequest, describeBackend, openCliBackend } from './options/backend.js';
export type { BackendName, BackendRequest } from './options/backend.js';
export { loadCliModel, modelChoice, modelFlags } from './options/model.js';
export type { ModelChoice } from './options/model.js';
export { cacheRequest, describePolicy, kvDtypeFlags, kvStorage, POLICY_KINDS, policyFlags } from './options/policy.js';
export type { CacheRequest, KvStorage } from './options/policy.js';
export { samplingFlags, sampling } from './options/sampling.js';
export { VERSION } from './version.js';
