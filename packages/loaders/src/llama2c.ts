// llama2.c "legacy version 0" checkpoints: 7 int32 header, then fp32 weights grouped by kind across layers.
import type { HostTensor } from '@kvkit/tensor';
import { InvalidArgumentError, numel } from '@kvkit/tensor';
import { ByteReader } from './byte-reader.js';
import { alignedBytes } from './byte-view.js';
import { MalformedFileError, UnsupportedModelError } from './errors.js';
import { buildLlamaConfig } from './llama-config.js';
import type { LayerWeights, ModelConfig, ModelWeights } from './model-config.js';
import { LAYER_WEIGHTS, modelShapes, requiredWeight, sameShape } from './model-shapes.js';

const HEADER_BYTES = 28;
const SOURCE = 'llama2.c checkpoint';
/** llama2.c's newer exports (version 1/2) start with this magic instead of the legacy header. */
const AK42_MAGIC = 0x616b3432;

export interface Llama2cModel {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
}

/** Number of f32 values in a checkpoint body, by section, in file order. */
function sectionSizes(c: ModelConfig): { name: string; count: number }[] {
  const s = modelShapes(c);
  const per = (shape: readonly number[]): number => numel(shape) * c.nLayers;
  return [
    { name: 'tokenEmbedding', count: numel(s.tokenEmbedding) },
    ...LAYER_WEIGHTS.map((w) => ({ name: w, count: per(s[w]) })),
    { name: 'finalNorm', count: c.dim },
    { name: 'freqCisReal', count: (c.contextLength * c.headDim) / 2 },
    { name: 'freqCisImag', count: (c.contextLength * c.headDim) / 2 },
    ...(c.tiedEmbeddings ? [] : [{ name: 'output', count: numel(s.output) }]),
  ];
}

/** Exact file size; the header limits in buildLlamaConfig keep this below 2^53. */
function expectedBytes(c: ModelConfig): number {
  const total = HEADER_BYTES + 4 * sectionSizes(c).reduce((a, s) => a + s.count, 0);
  if (!Number.isSafeInteger(total)) throw new MalformedFileError(`${SOURCE}: header sizes overflow`);
  return total;
}

/** Parses a llama2.c v0 checkpoint; weights are zero-copy views of `bytes` when 4-byte aligned. */
export function readLlama2c(bytes: Uint8Array): Llama2cModel {
  const r = new ByteReader(bytes, SOURCE);
  if (bytes.length >= 4) {
    const magic = r.u32('magic');
    if (magic === AK42_MAGIC) {
      throw new UnsupportedModelError(`${SOURCE}: llama2.c export version 1+ ('ak42' magic) is not supported; export with --version 0`);
    }
    if (magic === 0x46554747) throw new MalformedFileError(`${SOURCE}: this is a GGUF file; read it with readGguf`);
    r.pos = 0;
  }
  const dim = r.i32('dim');
  const hiddenDim = r.i32('hidden_dim');
  const nLayers = r.i32('n_layers');
  const nHeads = r.i32('n_heads');
  const nKvHeads = r.i32('n_kv_heads');
  const vocabRaw = r.i32('vocab_size');
  const seqLen = r.i32('seq_len');
  const config = buildLlamaConfig(
    SOURCE,
    { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize: Math.abs(vocabRaw), contextLength: seqLen },
    // Negative vocab_size is llama2.c's flag for a separate classifier (wcls) at the end.
    { normEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: vocabRaw > 0, bosId: 1, eosId: 2 },
  );
  const expected = expectedBytes(config);
  if (bytes.length !== expected) {
    throw new MalformedFileError(
      `${SOURCE}: file is ${bytes.length} bytes but its header describes ${expected} (truncated, extra data, or not a llama2.c v0 file)`,
    );
  }

  const shapes = modelShapes(config);
  let offset = HEADER_BYTES;
  const next = (shape: readonly number[]): HostTensor => {
    const n = numel(shape) * 4;
    const t: HostTensor = { dtype: 'f32', shape, data: alignedBytes(bytes, offset, n, 4) };
    offset += n;
    return t;
  };
  const tokenEmbedding = next(shapes.tokenEmbedding);
  const stacked = {} as Record<(typeof LAYER_WEIGHTS)[number], HostTensor[]>;
  for (const w of LAYER_WEIGHTS) stacked[w] = Array.from({ length: nLayers }, () => next(shapes[w]));
  const finalNorm = next(shapes.finalNorm);
  offset += 4 * config.contextLength * config.headDim; // freq_cis_real + freq_cis_imag: run.c computes RoPE itself
  const output = config.tiedEmbeddings ? tokenEmbedding : next(shapes.output);
  const layers: LayerWeights[] = Array.from({ length: nLayers }, (_, l) => ({
    attnNorm: stacked.attnNorm[l],
    wq: stacked.wq[l],
    wk: stacked.wk[l],
    wv: stacked.wv[l],
    wo: stacked.wo[l],
    ffnNorm: stacked.ffnNorm[l],
    w1: stacked.w1[l],
    w2: stacked.w2[l],
    w3: stacked.w3[l],
  }));
  return { config, weights: { tokenEmbedding, layers, finalNorm, output } };
}

/**
 * Writes a llama2.c v0 checkpoint (f32 weights only). Only the sizes, tiedEmbeddings and ropeTheta of `config`
 * are stored; the format fixes eps 1e-5, BOS 1, EOS 2. A real RoPE table is written for older run.c builds.
 */
export function writeLlama2c(config: ModelConfig, weights: ModelWeights): Uint8Array {
  const shapes = modelShapes(config);
  const check = (name: string, t: HostTensor, shape: readonly number[]): void => {
    if (t.dtype !== 'f32') throw new InvalidArgumentError(`writeLlama2c: ${name} is ${t.dtype}; llama2.c files hold f32 only`);
    if (!sameShape(t.shape, shape) || t.data.length !== numel(shape) * 4) {
      throw new InvalidArgumentError(`writeLlama2c: ${name} is [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
  };
  if (weights.layers.length !== config.nLayers) {
    throw new InvalidArgumentError(`writeLlama2c: ${weights.layers.length} layers, config says ${config.nLayers}`);
  }
  const out = new Uint8Array(expectedBytes(config));
  const dv = new DataView(out.buffer);
  const header = [
    config.dim,
    config.hiddenDim,
    config.nLayers,
    config.nHeads,
    config.nKvHeads,
    config.tiedEmbeddings ? config.vocabSize : -config.vocabSize,
    config.contextLength,
  ];
  header.forEach((v, i) => dv.setInt32(4 * i, v, true));
  let offset = HEADER_BYTES;
  const put = (name: string, t: HostTensor, shape: readonly number[]): void => {
    check(name, t, shape);
    out.set(t.data, offset);
    offset += t.data.length;
  };
  put('tokenEmbedding', weights.tokenEmbedding, shapes.tokenEmbedding);
  for (const w of LAYER_WEIGHTS) weights.layers.forEach((layer, l) => put(`layers[${l}].${w}`, requiredWeight(layer, w, 'writeLlama2c'), shapes[w]));
  put('finalNorm', weights.finalNorm, shapes.finalNorm);
  // freq_cis as llama2.c's export computes it: angle = pos * theta^(-2i/head_size).
  const half = config.headDim / 2;
  const imagStart = offset + 4 * config.contextLength * half;
  for (let pos = 0; pos < config.contextLength; pos++) {
    for (let i = 0; i < half; i++) {
      const freq = Math.fround(1 / Math.fround(config.ropeTheta ** ((2 * i) / config.headDim)));
      const angle = Math.fround(pos * freq);
      const k = 4 * (pos * half + i);
      dv.setFloat32(offset + k, Math.cos(angle), true);
      dv.setFloat32(imagStart + k, Math.sin(angle), true);
    }
  }
  offset += 8 * config.contextLength * half;
  if (!config.tiedEmbeddings) put('output', weights.output, shapes.output);
  return out;
}
