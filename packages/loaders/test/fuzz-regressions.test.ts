// Inputs the loader fuzzer found that escaped as untyped exceptions or exhausted the heap, kept as cases.
import { describe, expect, it } from 'vitest';
import { MalformedFileError, configFromHf, loadModelFrom, readSafetensors } from '../src/index.js';
import { fuzzSeedFiles } from './fuzz-seeds.js';
import { thrown } from './shared.js';

const seeds = fuzzSeedFiles();
const json = (bytes: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
const nested = (depth: number): string => '['.repeat(depth) + '0' + ']'.repeat(depth);

function safetensorsWithHeader(header: string): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + 16);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

async function rejected(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('fuzzer findings', () => {
  it('a tokenizer.json token id far past the vocabulary is a MalformedFileError (it exhausted the heap)', async () => {
    const tok = json(seeds.hfTokenizer);
    const vocab = (tok.model as { vocab: Record<string, number> }).vocab;
    vocab[Object.keys(vocab)[480]!] = 347131667;
    const e = await rejected(loadModelFrom({ files: { 'config.json': seeds.hfConfig, 'model.safetensors': seeds.hfSafetensors, 'tokenizer.json': new TextEncoder().encode(JSON.stringify(tok)) } }));
    expect(e).toBeInstanceOf(MalformedFileError);
    expect((e as Error).message).toMatch(/token id 347131667/);
  });

  it('a tokenizer.json whose model.vocab is a list of numbers is a MalformedFileError (the library read ids up to 943546 from it)', async () => {
    const tok = json(seeds.hfTokenizer);
    (tok.model as { vocab: unknown }).vocab = [3, 17, 943546, 12];
    const e = await rejected(loadModelFrom({ files: { 'config.json': seeds.hfConfig, 'model.safetensors': seeds.hfSafetensors, 'tokenizer.json': new TextEncoder().encode(JSON.stringify(tok)) } }));
    expect(e).toBeInstanceOf(MalformedFileError);
    expect((e as Error).message).toMatch(/model.vocab is a list/);
  });

  it('a deeply nested value in a safetensors header or config.json is a MalformedFileError (the message overflowed the stack)', () => {
    const shape = thrown(() => readSafetensors(safetensorsWithHeader(`{"x":{"dtype":"F32","shape":${nested(20000)},"data_offsets":[0,16]}}`)), MalformedFileError);
    expect(shape.message).toMatch(/bad shape a deeply nested array/);
    const config = { ...json(seeds.hfConfig), hidden_size: JSON.parse(nested(5000)) as unknown };
    expect(thrown(() => configFromHf(config), MalformedFileError).message).toMatch(/hidden_size must be an integer/);
  });

  it('a safetensors shape whose element count overflows a double is a MalformedFileError naming the tensor', () => {
    const e = thrown(() => readSafetensors(safetensorsWithHeader('{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}')), MalformedFileError);
    expect(e.message).toMatch(/'w'.*more elements/);
  });
});
