import { describe, expect, it } from 'vitest';
import type { HostTensor } from '@kvkit/tensor';
import { decode, encode, numel } from '@kvkit/tensor';
import type { ModelWeights, SentencePieceBpeTokenizer } from '../src/index.js';
import {
  MalformedFileError,
  UnsupportedModelError,
  readGguf,
  readLlama2c,
  readLlamaGguf,
  readTok512,
  writeGguf,
  writeLlama2c,
  writeLlamaGguf,
} from '../src/index.js';
import { TINY_UNTIED, randomWeights } from './models.js';
import { firstDiff, shared, thrown } from './shared.js';

const bin = readLlama2c(shared('stories260K.bin'));
const gguf = readLlamaGguf(shared('stories260K.gguf'));
const tok = readTok512(shared('tok512.bin'), 512);

/** Every weight tensor with a path-like name. */
function flatten(w: ModelWeights): [string, HostTensor][] {
  const out: [string, HostTensor][] = [['tokenEmbedding', w.tokenEmbedding], ['finalNorm', w.finalNorm], ['output', w.output]];
  w.layers.forEach((layer, l) => {
    for (const [k, t] of Object.entries(layer)) out.push([`layers[${l}].${k}`, t]);
  });
  return out;
}

describe('stories260K.gguf as a llama model', () => {
  it('has the .bin config except the converter default context length', () => {
    expect(gguf.format).toBe('gguf');
    expect(gguf.config).toEqual({ ...bin.config, contextLength: 2048 });
  });

  it('has weights bit-identical to stories260K.bin', () => {
    const a = flatten(bin.weights);
    const b = flatten(gguf.weights);
    expect(b.map(([n]) => n)).toEqual(a.map(([n]) => n));
    for (let i = 0; i < a.length; i++) {
      expect(b[i][1].dtype, a[i][0]).toBe('f32');
      expect(b[i][1].shape, a[i][0]).toEqual(a[i][1].shape);
      expect(firstDiff(b[i][1].data, a[i][1].data), a[i][0]).toBe(-1);
    }
  });

  it('shares the duplicated output.weight with the embedding (tied)', () => {
    expect(gguf.weights.output).toBe(gguf.weights.tokenEmbedding);
  });

  it('rejects a wrong-shaped tensor', () => {
    const f = readGguf(shared('stories260K.gguf'));
    const tensors = new Map(f.tensors);
    const k = tensors.get('blk.2.attn_k.weight')!;
    tensors.set('blk.2.attn_k.weight', { ...k, shape: [16, 128] });
    const e = thrown(() => readLlamaGguf(writeGguf({ metadata: f.metadata, tensors })), MalformedFileError);
    expect(e.message).toMatch(/blk\.2\.attn_k\.weight.*\[16, 128\].*\[32, 64\]/);
  });

  it('rejects a missing tensor, a bad head count and another architecture', () => {
    const f = readGguf(shared('stories260K.gguf'));
    const without = new Map(f.tensors);
    without.delete('blk.4.ffn_up.weight');
    thrown(() => readLlamaGguf(writeGguf({ metadata: f.metadata, tensors: without })), MalformedFileError);
    const meta = (key: string, v: unknown) => writeGguf({ metadata: new Map(f.metadata).set(key, v as never), tensors: f.tensors });
    thrown(() => readLlamaGguf(meta('llama.attention.head_count', { type: 'u32', value: 7 })), MalformedFileError);
    thrown(() => readLlamaGguf(meta('llama.block_count', { type: 'string', value: '5' })), MalformedFileError);
    thrown(() => readLlamaGguf(meta('general.architecture', { type: 'string', value: 'qwen2' })), UnsupportedModelError);
    thrown(() => readLlamaGguf(meta('llama.rope.dimension_count', { type: 'u32', value: 4 })), UnsupportedModelError);
    thrown(() => readLlamaGguf(meta('tokenizer.ggml.bos_token_id', { type: 'u32', value: 512 })), MalformedFileError);
  });
});

describe('writeLlamaGguf', () => {
  it('writes stories260K as q8_0 (rows of 64) keeping w2 [64, 172] and the norms f32', () => {
    const bytes = writeLlamaGguf(bin.config, bin.weights, tok, { dtype: 'q8_0', name: 'stories260K-q8_0' });
    const m = readLlamaGguf(bytes);
    expect(m.config).toEqual(bin.config);
    expect(m.weights.output).toBe(m.weights.tokenEmbedding);
    expect(m.weights.tokenEmbedding.dtype).toBe('q8_0');
    const l0 = m.weights.layers[0];
    expect([l0.wq.dtype, l0.wk!.dtype, l0.wv!.dtype, l0.wo.dtype, l0.w1.dtype, l0.w3.dtype]).toEqual(Array(6).fill('q8_0'));
    expect([l0.w2.dtype, l0.attnNorm.dtype, l0.ffnNorm.dtype, m.weights.finalNorm.dtype]).toEqual(['f32', 'f32', 'f32', 'f32']);
    const src = bin.weights.layers[3].w1;
    const want = encode('q8_0', decode('f32', src.data, numel(src.shape)));
    expect(firstDiff(m.weights.layers[3].w1.data, want)).toBe(-1);
    expect(firstDiff(m.weights.layers[3].w2.data, bin.weights.layers[3].w2.data)).toBe(-1);
    expect(m.tokenizer!.encode('Once upon a time')).toEqual(tok.encode('Once upon a time'));
    expect((m.tokenizer as SentencePieceBpeTokenizer).pieces).toEqual(tok.pieces);
    expect(readGguf(bytes).metadata.get('general.file_type')).toEqual({ type: 'u32', value: 7 });
  });

  it('round-trips an untied random model in f32, q4_0, f16 and bf16', () => {
    const weights = randomWeights(TINY_UNTIED, 3);
    for (const dtype of ['f32', 'f16', 'bf16', 'q4_0'] as const) {
      const m = readLlamaGguf(writeLlamaGguf(TINY_UNTIED, weights, undefined, { dtype }));
      expect(m.config).toEqual(TINY_UNTIED);
      expect(m.tokenizer).toBeUndefined();
      expect(m.weights.output).not.toBe(m.weights.tokenEmbedding);
      // q4_0 needs rows of 32: the 16-wide matrices stay f32.
      expect(m.weights.output.dtype).toBe(dtype === 'q4_0' ? 'f32' : dtype);
      const got = decode(m.weights.output.dtype, m.weights.output.data, 20 * 16);
      const want = decode('f32', weights.output.data, 20 * 16);
      const tol = dtype === 'f32' ? 0 : 1e-2;
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol);
    }
  });

  it('agrees with writeLlama2c for an untied model', () => {
    const weights = randomWeights(TINY_UNTIED, 4);
    const a = readLlama2c(writeLlama2c(TINY_UNTIED, weights));
    const b = readLlamaGguf(writeLlamaGguf(TINY_UNTIED, weights));
    expect(b.config).toEqual({ ...a.config });
    expect(firstDiff(a.weights.output.data, b.weights.output.data)).toBe(-1);
  });
});
