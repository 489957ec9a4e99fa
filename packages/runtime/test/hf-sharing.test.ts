// The loader derives kvSource from HF config fields with its own arithmetic; it must agree with the cache
// package's sharing maps (policies.md §11) for every layer count and parameter.
import { describe, expect, it } from 'vitest';
import { kvSourceCla, kvSourceMlkv, yocoConfig } from '@kvkit/cache';
import { configFromHf } from '@kvkit/loaders';

const base = (L: number, extra: Record<string, unknown>) => ({
  model_type: 'llama', hidden_size: 32, intermediate_size: 48, num_hidden_layers: L, num_attention_heads: 4,
  vocab_size: 16, max_position_embeddings: 64, ...extra,
});

describe('kvSource from HF config fields', () => {
  it('MLKV num_key_value_layers, CLA share factor and YOCO match the cache package', () => {
    for (let L = 1; L <= 13; L++) {
      for (let m = 1; m <= L; m++) expect(configFromHf(base(L, { num_key_value_layers: m })).kvSource, `MLKV L=${L} m=${m}`).toEqual(kvSourceMlkv(L, m));
      for (let f = 1; f <= L; f++) expect(configFromHf(base(L, { cla_share_factor: f })).kvSource, `CLA L=${L} f=${f}`).toEqual(kvSourceCla(L, f));
      if (L % 2 === 0) {
        const y = yocoConfig(L, 5);
        const types = y.slidingWindow.map((w) => (w === null ? 'full_attention' : 'sliding_attention'));
        const c = configFromHf(base(L, { yoco: { self_decoder_layers: L / 2 }, sliding_window: 5, layer_types: types }));
        expect([c.kvSource, c.slidingWindow], `YOCO L=${L}`).toEqual([y.kvSource, y.slidingWindow]);
      }
    }
  });
});
