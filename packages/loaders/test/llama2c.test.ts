import { describe, expect, it } from 'vitest';
import type { HostTensor } from '@kvkit/tensor';
import { MalformedFileError, UnsupportedModelError, readLlama2c, writeLlama2c } from '../src/index.js';
import { firstDiff, shared, thrown } from './shared.js';
import { STORIES_CONFIG, TINY_UNTIED, randomWeights } from './models.js';

function f32(t: HostTensor): Float32Array {
  return new Float32Array(t.data.slice().buffer);
}

describe('readLlama2c on stories260K.bin', () => {
  const bytes = shared('stories260K.bin');

  it('has the config of the README table', () => {
    expect(readLlama2c(bytes).config).toEqual(STORIES_CONFIG);
  });

  it('returns zero-copy f32 views with the documented shapes, tied classifier', () => {
    const { weights } = readLlama2c(bytes);
    expect(weights.output).toBe(weights.tokenEmbedding);
    expect(weights.tokenEmbedding.shape).toEqual([512, 64]);
    expect(weights.tokenEmbedding.data.buffer).toBe(bytes.buffer);
    expect(weights.tokenEmbedding.data.byteOffset).toBe(bytes.byteOffset + 28);
    expect(weights.layers[4].w2.shape).toEqual([64, 172]);
    expect(weights.layers[0].wk!.shape).toEqual([32, 64]);
    // rms_final is the last array before the RoPE tables: 4096 floats before the end of the file.
    expect(weights.finalNorm.data.byteOffset + 64 * 4).toBe(bytes.byteOffset + bytes.length - 4 * 4096);
  });

  it('copies weights when the input is not 4-byte aligned', () => {
    const odd = new Uint8Array(bytes.length + 1).subarray(1);
    odd.set(bytes);
    const { weights } = readLlama2c(odd);
    expect(weights.layers[2].wq.data.byteOffset % 4).toBe(0);
    expect(firstDiff(weights.layers[2].wq.data, readLlama2c(bytes).weights.layers[2].wq.data)).toBe(-1);
  });

  it('rejects trailing and missing bytes', () => {
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(thrown(() => readLlama2c(longer), MalformedFileError).code).toBe('MALFORMED_FILE');
    thrown(() => readLlama2c(bytes.subarray(0, bytes.length - 1)), MalformedFileError);
    thrown(() => readLlama2c(new Uint8Array(0)), MalformedFileError);
  });
});

describe('llama2.c header validation', () => {
  const header = (h: number[]): Uint8Array => new Uint8Array(Int32Array.from(h).buffer);
  it.each([
    ['zero dim', [0, 172, 5, 8, 4, 512, 512]],
    ['dim not a multiple of heads', [64, 172, 5, 7, 7, 512, 512]],
    ['heads not a multiple of kv heads', [64, 172, 5, 8, 3, 512, 512]],
    ['kv heads > heads', [64, 172, 5, 8, 16, 512, 512]],
    ['huge dim', [1 << 20, 172, 5, 8, 4, 512, 512]],
    ['huge layers', [64, 172, 5000, 8, 4, 512, 512]],
    ['negative seq_len', [64, 172, 5, 8, 4, 512, -1]],
    ['int32 min vocab', [64, 172, 5, 8, 4, -2147483648, 512]],
    ['odd head size', [63, 172, 5, 9, 3, 512, 512]],
    ['largest header, tiny file', [65536, 1 << 20, 1024, 1, 1, 1 << 24, 1 << 24]],
  ])('%s', (_, h) => {
    thrown(() => readLlama2c(header(h)), MalformedFileError);
  });

  it('names the newer ak42 export as unsupported', () => {
    thrown(() => readLlama2c(Uint8Array.of(0x32, 0x34, 0x6b, 0x61, 1, 0, 0, 0)), UnsupportedModelError);
  });
});

describe('writeLlama2c', () => {
  it('round-trips an unshared-classifier model (negative vocab_size)', () => {
    const weights = randomWeights(TINY_UNTIED, 7);
    const bytes = writeLlama2c(TINY_UNTIED, weights);
    expect(new Int32Array(bytes.slice(0, 28).buffer)[5]).toBe(-20);
    const back = readLlama2c(bytes);
    expect(back.config).toEqual(TINY_UNTIED);
    expect(back.weights.output).not.toBe(back.weights.tokenEmbedding);
    expect(f32(back.weights.output)).toEqual(f32(weights.output));
    expect(f32(back.weights.tokenEmbedding)).toEqual(f32(weights.tokenEmbedding));
    back.weights.layers.forEach((layer, l) => {
      for (const k of ['attnNorm', 'wq', 'wk', 'wv', 'wo', 'ffnNorm', 'w1', 'w2', 'w3'] as const) {
        expect(firstDiff(layer[k]!.data, weights.layers[l][k]!.data), `${l}.${k}`).toBe(-1);
      }
    });
  });

  it('reproduces stories260K.bin byte for byte, RoPE tables included', () => {
    const bytes = shared('stories260K.bin');
    const { config, weights } = readLlama2c(bytes);
    const out = writeLlama2c(config, weights);
    const ropeStart = bytes.length - 4 * 4096;
    expect(firstDiff(out.subarray(0, ropeStart), bytes.subarray(0, ropeStart))).toBe(-1);
    const mine = new Float32Array(out.slice(ropeStart).buffer);
    const theirs = new Float32Array(bytes.slice(ropeStart).buffer);
    let maxDiff = 0;
    for (let i = 0; i < mine.length; i++) maxDiff = Math.max(maxDiff, Math.abs(mine[i] - theirs[i]));
    expect(maxDiff).toBeLessThan(1e-5); // cos/sin of large angles: float32 rounding of the angle differs a little
  });
});
