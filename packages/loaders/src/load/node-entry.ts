// The Node-only part (disk reads), reached through a dynamic import that bundlers leave alone, so that no
// `node:` module is reachable from the main entry.
import type { LoadedModel } from '../model-config.js';
import type { ReadOptions } from './types.js';

/** What `@kvkit/loaders/node` provides to the main entry (its functions, typed without Node's types). */
export interface NodeEntry {
  loadModel(path: string | URL, opts?: ReadOptions & { tokenizerPath?: string; tokenizerBytes?: Uint8Array }): Promise<LoadedModel>;
  readFileBytes(path: string | URL, opts?: ReadOptions & { file?: string }): Promise<Uint8Array>;
}

/** Relative to this module in dist/ and in src/ alike; a variable so that bundlers do not follow it. */
const NODE_ENTRY = '../node/index.js';
let entry: Promise<NodeEntry> | undefined;

export function nodeEntry(): Promise<NodeEntry> {
  entry ??= import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_ENTRY) as Promise<NodeEntry>;
  return entry;
}

/** True in Node (and runtimes that mimic it), where a plain string source is a path on disk. */
export function inNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}
