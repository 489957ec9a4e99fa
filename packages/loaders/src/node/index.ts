// @kvkit/loaders/node: loading from disk (Node only). The main entry reaches it for paths and file: URLs.
export { loadModel } from './load-model.js';
export type { LoadModelOptions } from './load-model.js';
export { readFileBytes } from './read-file.js';
export type { ReadFileOptions } from './read-file.js';
