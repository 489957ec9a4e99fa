import { existsSync } from 'node:fs';
import type { LoadedModel, LoadProgress, Tokenizer } from '@kvkit/loaders';
import { loadModelFrom, ModelNotFoundError } from '@kvkit/loaders';
import { defaultModel, isShippedModelName, SHIPPED_MODELS } from '@kvkit/models';
import { modelDir } from '@kvkit/models/node';
import { TokenizerMissingError } from '@kvkit/runtime';
import type { Flags, FlagSpecs } from '../args/flags.js';
import { str } from '../args/values.js';
import { userPath } from '../paths.js';
import { Progress } from '../progress.js';

const SHIPPED = Object.keys(SHIPPED_MODELS).join('|');

export const modelFlags = {
  model: {
    type: 'string',
    value: '<path|url|name>',
    help: `a GGUF file, a llama2.c .bin, an HF folder (config.json, tokenizer.json, safetensors), a URL of one, or a shipped model (${SHIPPED})`,
    default: `${defaultModel.name} (@kvkit/models)`,
    group: 'Model',
  },
  tokenizer: { type: 'string', value: '<file>', help: 'a llama2.c tokenizer (tok512.bin) for a .bin model', default: 'tok512.bin or tokenizer.bin beside the model', group: 'Model' },
} as const satisfies FlagSpecs;

/** Which model the flags name: a path (from the current directory), a URL, or a shipped model. */
export interface ModelChoice {
  readonly source: string;
  /** How reports name it: the shipped name, or the path/URL as given. */
  readonly label: string;
  readonly tokenizer?: string;
  readonly isUrl: boolean;
}

export function modelChoice(flags: Flags): ModelChoice {
  const given = str(flags, 'model');
  const tokenizer = str(flags, 'tokenizer');
  const tok = tokenizer === undefined ? {} : { tokenizer: userPath(tokenizer) };
  if (given === undefined) return { source: modelDir(defaultModel.name), label: `${defaultModel.name} (@kvkit/models, default)`, isUrl: false, ...tok };
  const path = userPath(given);
  if (isShippedModelName(given) && !existsSync(path)) return { source: modelDir(given), label: `${given} (@kvkit/models)`, isUrl: false, ...tok };
  return { source: path, label: given, isUrl: /^https?:/i.test(path), ...tok };
}

/** A local model that is not there fails now, before a backend starts. */
export function checkModelExists(choice: ModelChoice): void {
  if (!choice.isUrl && !/^(file|data|blob):/i.test(choice.source) && !existsSync(choice.source)) {
    throw new ModelNotFoundError(`--model ${choice.label}: no such file or folder (relative paths start from ${process.cwd()})`);
  }
}

/** Progress of a download on stderr (local files load too fast to need one). */
export function downloadProgress(choice: ModelChoice, quiet: boolean): ((p: LoadProgress) => void) | undefined {
  if (!choice.isUrl || quiet) return undefined;
  const bars = new Map<string, { bar: Progress; done: number }>();
  return (p) => {
    const mib = 2 ** 20;
    let entry = bars.get(p.file);
    if (!entry) bars.set(p.file, (entry = { bar: new Progress(`download ${p.file}`, Math.max(1, Math.ceil((p.total ?? 0) / mib))), done: 0 }));
    const done = Math.floor(p.loaded / mib);
    while (entry.done < done) {
      entry.done++;
      entry.bar.tick(`${done} MiB`);
    }
    if (p.total !== undefined && p.loaded >= p.total) entry.bar.finish();
  };
}

/** The model's files, read (for commands that build their own backend and sessions). */
export async function loadCliModel(choice: ModelChoice, quiet = false): Promise<LoadedModel & { tokenizer: Tokenizer }> {
  checkModelExists(choice);
  const progress = downloadProgress(choice, quiet);
  const loaded = await loadModelFrom(choice.source, { ...(choice.tokenizer ? { tokenizer: choice.tokenizer } : {}), ...(progress ? { onProgress: progress } : {}) });
  if (!loaded.tokenizer) throw new TokenizerMissingError(`${choice.label} has no tokenizer: pass --tokenizer with a llama2.c tokenizer.bin (tok512.bin)`);
  return loaded as LoadedModel & { tokenizer: Tokenizer };
}
