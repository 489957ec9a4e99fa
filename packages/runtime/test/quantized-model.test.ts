import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import { loadModel } from '@kvkit/loaders/node';
import { quantizeModel } from '@kvkit/test-utils';
import { CpuBackend } from '@kvkit/tensor';
import { evaluateNll, LlamaModel } from '../src/index.js';
import { STORIES } from './shared-model.js';

const TEXT = sharedFixture('data/tinystories-valid-prefix/tinystories_val.txt');

describe('quantised weights on a real model', () => {
  it('Q8_0 stories260K scores TinyStories within 1% of F32 NLL', async () => {
    const f32 = await loadModel(`${STORIES}stories260K.bin`);
    const text = readFileSync(TEXT, 'utf8').slice(0, 6000);
    const ids = f32.tokenizer!.encode(text);
    const windows = [ids.slice(0, 512), [1, ...ids.slice(512, 1023)]];
    const backend = new CpuBackend();
    const base = await evaluateNll(LlamaModel.load(backend, f32), windows);
    const q8 = await evaluateNll(LlamaModel.load(backend, quantizeModel(f32, 'q8_0')), windows);
    const q4 = await evaluateNll(LlamaModel.load(backend, quantizeModel(f32, 'q4_0')), windows);
    expect(base.tokens).toBe(1022);
    expect(base.nll).toBeGreaterThan(1);
    expect(base.nll).toBeLessThan(2); // ~1.44 nats/token on TinyStories for this model
    expect(Math.abs(q8.nll - base.nll) / base.nll).toBeLessThan(0.01);
    // Q4_0 costs more but still models the text; a broken kernel would be far off.
    expect(Math.abs(q4.nll - base.nll) / base.nll).toBeLessThan(0.1);
  }, 60_000);
});
