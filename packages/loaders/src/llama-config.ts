import { MalformedFileError } from './errors.js';
import type { ModelConfig } from './model-config.js';

/** Sizes far above any real Llama but small enough that every byte count below stays a safe integer. */
export const LIMITS = {
  dim: 65536,
  hiddenDim: 1 << 20,
  nLayers: 1024,
  vocabSize: 1 << 24,
  contextLength: 1 << 24,
} as const;

export interface LlamaDims {
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly vocabSize: number;
  readonly contextLength: number;
}

/** Checks file-supplied sizes and derives headDim / kvSource; `source` names the file in errors. */
export function buildLlamaConfig(
  source: string,
  dims: LlamaDims,
  rest: Pick<ModelConfig, 'normEps' | 'ropeTheta' | 'tiedEmbeddings' | 'bosId' | 'eosId'>,
): ModelConfig {
  const bad = (why: string): never => {
    throw new MalformedFileError(`${source}: ${why}`);
  };
  const inRange = (name: string, v: number, max: number): void => {
    if (!Number.isSafeInteger(v) || v < 1 || v > max) bad(`${name} = ${v} is outside 1..${max}`);
  };
  inRange('dim', dims.dim, LIMITS.dim);
  inRange('hidden_dim', dims.hiddenDim, LIMITS.hiddenDim);
  inRange('n_layers', dims.nLayers, LIMITS.nLayers);
  inRange('n_heads', dims.nHeads, dims.dim);
  inRange('n_kv_heads', dims.nKvHeads, dims.nHeads);
  inRange('vocab_size', dims.vocabSize, LIMITS.vocabSize);
  inRange('context_length', dims.contextLength, LIMITS.contextLength);
  if (dims.dim % dims.nHeads !== 0) bad(`dim ${dims.dim} is not a multiple of n_heads ${dims.nHeads}`);
  if (dims.nHeads % dims.nKvHeads !== 0) bad(`n_heads ${dims.nHeads} is not a multiple of n_kv_heads ${dims.nKvHeads}`);
  const headDim = dims.dim / dims.nHeads;
  if (headDim % 2 !== 0) bad(`head size ${headDim} is odd; RoPE rotates pairs`);
  if (!(rest.normEps > 0 && rest.normEps < 1)) bad(`rms norm epsilon ${rest.normEps} is not in (0, 1)`);
  if (!(rest.ropeTheta > 0 && Number.isFinite(rest.ropeTheta))) bad(`rope theta ${rest.ropeTheta} is not positive`);
  for (const [name, id] of [['bos', rest.bosId], ['eos', rest.eosId]] as const) {
    if (!Number.isSafeInteger(id) || id < 0 || id >= dims.vocabSize) bad(`${name} id ${id} is outside the vocabulary`);
  }
  return {
    architecture: 'llama',
    ...dims,
    headDim,
    normEps: rest.normEps,
    ropeTheta: rest.ropeTheta,
    ropeLayout: 'adjacent',
    tiedEmbeddings: rest.tiedEmbeddings,
    kvSource: Array.from({ length: dims.nLayers }, (_, l) => l),
    bosId: rest.bosId,
    eosId: rest.eosId,
  };
}
