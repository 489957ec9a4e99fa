import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../src/index.js';
import { loadModel } from '../src/node/index.js';
import { configFromHf, hfConfigOf, hfSafetensorsOf, MalformedFileError, readHfModel, readSafetensors, UnsupportedModelError, writeSafetensors } from '../src/index.js';
import { STORIES_CONFIG, randomWeights } from './models.js';
import { firstDiff, thrown } from './shared.js';

/** Eight layers, GQA, layers 1, 3, 5, 7 reading the layer below (CLA-2), windows on the first half. */
const CONFIG: ModelConfig = {
  ...STORIES_CONFIG,
  dim: 16, hiddenDim: 24, nLayers: 8, nHeads: 4, nKvHeads: 2, headDim: 4, vocabSize: 40, contextLength: 64,
  ropeLayout: 'half', kvSource: [0, 0, 2, 2, 4, 4, 6, 6], slidingWindow: [8, 8, 8, 8, null, null, null, null],
};

const llama = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model_type: 'llama', hidden_size: 64, intermediate_size: 172, num_hidden_layers: 8, num_attention_heads: 8,
  num_key_value_heads: 4, vocab_size: 512, max_position_embeddings: 512, ...extra,
});

describe('HF config.json', () => {
  it('normalises a plain Llama config with HF defaults (half-split RoPE, untied unless said, eps 1e-6)', () => {
    const c = configFromHf(llama({ bos_token_id: 5, eos_token_id: [7, 8] }));
    expect(c).toMatchObject({ dim: 64, headDim: 8, nKvHeads: 4, ropeLayout: 'half', tiedEmbeddings: false, normEps: 1e-6, ropeTheta: 10000, bosId: 5, eosId: 7 });
    expect(c.kvSource).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(c.slidingWindow).toBeUndefined();
    expect(configFromHf(llama({ num_key_value_heads: undefined })).nKvHeads).toBe(8);
  });

  it('derives kvSource from MLKV, CLA and YOCO fields and checks them against an explicit kv_source', () => {
    // MLKV owners [0] + [int((i + 1) L / m)]: m = 4 -> 0, 2, 4, 6; m = 3 -> 0, 2, 5.
    expect(configFromHf(llama({ num_key_value_layers: 4 })).kvSource).toEqual([0, 0, 2, 2, 4, 4, 6, 6]);
    expect(configFromHf(llama({ num_key_value_layers: 3 })).kvSource).toEqual([0, 0, 2, 2, 2, 5, 5, 5]);
    expect(configFromHf(llama({ cla_share_factor: 3 })).kvSource).toEqual([0, 0, 0, 3, 3, 3, 6, 6]);
    const yoco = configFromHf(llama({ yoco: { self_decoder_layers: 4 }, sliding_window: 16, layer_types: [...Array(4).fill('sliding_attention'), ...Array(4).fill('full_attention')] }));
    expect(yoco.kvSource).toEqual([0, 1, 2, 3, 4, 4, 4, 4]);
    expect(yoco.slidingWindow).toEqual([16, 16, 16, 16, null, null, null, null]);
    expect(configFromHf(llama({ kv_source: [0, 0, 2, 2, 4, 4, 6, 6], num_key_value_layers: 4 })).kvSource).toEqual([0, 0, 2, 2, 4, 4, 6, 6]);
    expect(thrown(() => configFromHf(llama({ kv_source: [0, 0, 2, 2, 2, 2, 6, 6], num_key_value_layers: 4 })), MalformedFileError).message).toMatch(/implies kv_source/);
    expect(configFromHf(llama({ sliding_window: 32 })).slidingWindow).toEqual(Array(8).fill(32));
  });

  it('rejects malformed and unsupported configs', () => {
    const malformed: [Record<string, unknown>, RegExp][] = [
      [{ hidden_size: 'big' }, /hidden_size must be an integer/],
      [{ num_attention_heads: 7 }, /not a multiple/],
      [{ kv_source: [0, 2, 2, 3, 4, 5, 6, 7] }, /kv_source\[1\]/],
      [{ kv_source: [0, 0, 1, 3, 4, 5, 6, 7] }, /kv_source\[2\]/],
      [{ kv_source: [0, 1] }, /one source per layer/],
      [{ num_key_value_layers: 9 }, /outside 1..8/],
      [{ layer_types: ['full_attention'] }, /one type per layer/],
      [{ bos_token_id: 9999 }, /bos id/],
    ];
    for (const [extra, msg] of malformed) expect(thrown(() => configFromHf(llama(extra)), MalformedFileError).message).toMatch(msg);
    const unsupported: [Record<string, unknown>, RegExp][] = [
      [{ model_type: 'gpt2' }, /model_type/],
      [{ hidden_act: 'gelu' }, /hidden_act/],
      [{ attention_bias: true }, /bias/],
      [{ rope_scaling: { rope_type: 'llama3', factor: 8 } }, /rope_scaling/],
      [{ head_dim: 16 }, /head_dim/],
      [{ layer_types: Array(8).fill('chunked_attention') }, /chunked_attention/],
      [{ num_kv_shared_layers: 2 }, /num_kv_shared_layers/],
    ];
    for (const [extra, msg] of unsupported) expect(thrown(() => configFromHf(llama(extra)), UnsupportedModelError).message).toMatch(msg);
    expect(thrown(() => configFromHf([1]), MalformedFileError).message).toMatch(/not a JSON object/);
  });
});

describe('HF-layout model', () => {
  const weights = randomWeights(CONFIG, 11);
  const config = JSON.parse(JSON.stringify(hfConfigOf(CONFIG)));
  const bytes = hfSafetensorsOf(CONFIG, weights);

  it('round-trips config and weights; layers that read another store no k_proj/v_proj', () => {
    const names = [...readSafetensors(bytes).tensors.keys()];
    expect(names.filter((n) => n.includes('k_proj'))).toEqual([0, 2, 4, 6].map((l) => `model.layers.${l}.self_attn.k_proj.weight`));
    expect(names).not.toContain('lm_head.weight');
    const m = readHfModel({ config, shards: new Map([['model.safetensors', bytes]]) });
    expect(m.format).toBe('hf');
    expect(m.config).toEqual(CONFIG);
    expect(m.weights.output).toBe(m.weights.tokenEmbedding);
    m.weights.layers.forEach((layer, l) => {
      for (const k of ['attnNorm', 'wq', 'wo', 'ffnNorm', 'w1', 'w2', 'w3'] as const) expect(firstDiff(layer[k]!.data, weights.layers[l]![k]!.data), `${l}.${k}`).toBe(-1);
      expect(layer.wk === undefined, `layer ${l}`).toBe(l % 2 === 1);
    });
  });

  it('reads sharded checkpoints through model.safetensors.index.json', () => {
    const all = readSafetensors(bytes).tensors;
    const split = (keep: (n: string) => boolean) => writeSafetensors(new Map([...all].filter(([n]) => keep(n))));
    const isLate = (n: string) => /layers\.[4-7]\./.test(n);
    const shards = new Map([['a.safetensors', split((n) => !isLate(n))], ['b.safetensors', split(isLate)]]);
    const index = { weight_map: Object.fromEntries([...all.keys()].map((n) => [n, isLate(n) ? 'b.safetensors' : 'a.safetensors'])) };
    const m = readHfModel({ config, shards, index });
    expect(firstDiff(m.weights.layers[6]!.w1.data, weights.layers[6]!.w1.data)).toBe(-1);
    const wrong = { weight_map: { ...index.weight_map, 'model.norm.weight': 'b.safetensors' } };
    expect(thrown(() => readHfModel({ config, shards, index: wrong }), MalformedFileError).message).toMatch(/not where the index puts it/);
    const missing = { weight_map: { ...index.weight_map, 'model.extra.weight': 'b.safetensors' } };
    expect(thrown(() => readHfModel({ config, shards, index: missing }), MalformedFileError).message).toMatch(/lacks it/);
    expect(thrown(() => readHfModel({ config, shards: new Map([['a', bytes], ['b', bytes]]) }), MalformedFileError).message).toMatch(/more than one shard/);
  });

  it('checks every tensor against the config', () => {
    const all = readSafetensors(bytes).tensors;
    const without = (name: string) => new Map([['m', writeSafetensors(new Map([...all].filter(([n]) => n !== name)))]]);
    expect(thrown(() => readHfModel({ config, shards: without('model.layers.3.mlp.up_proj.weight') }), MalformedFileError).message).toMatch(/up_proj.weight' is missing/);
    expect(thrown(() => readHfModel({ config, shards: without('model.layers.2.self_attn.v_proj.weight') }), MalformedFileError).message).toMatch(/2.self_attn.v_proj.weight' is missing/);
    const extra = new Map([['m', writeSafetensors(new Map([...all, ['model.layers.0.self_attn.q_proj.bias', all.get('model.norm.weight')!]]))]]);
    expect(thrown(() => readHfModel({ config, shards: extra }), MalformedFileError).message).toMatch(/unexpected tensor/);
    const bigger = { ...config, intermediate_size: 32 };
    expect(thrown(() => readHfModel({ config: bigger, shards: new Map([['m', bytes]]) }), MalformedFileError).message).toMatch(/gate_proj.weight' is \[24, 16\], expected \[32, 16\]/);
    const untied = { ...config, tie_word_embeddings: false };
    expect(thrown(() => readHfModel({ config: untied, shards: new Map([['m', bytes]]) }), MalformedFileError).message).toMatch(/lm_head.weight' is missing/);
  });

  it('loads a folder from disk (loadModel), sharded or not, and says what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvkit-hf-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const m = await loadModel(dir);
    expect(m.config).toEqual(CONFIG);
    expect((await loadModel(join(dir, 'model.safetensors'))).format).toBe('hf');
    const empty = mkdtempSync(join(tmpdir(), 'kvkit-hf-'));
    writeFileSync(join(empty, 'config.json'), JSON.stringify(config));
    await expect(loadModel(empty)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    writeFileSync(join(empty, 'config.json'), '{"model_type": ');
    await expect(loadModel(empty)).rejects.toMatchObject({ code: 'MALFORMED_FILE' });
  });
});
