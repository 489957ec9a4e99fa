// The project's own models (packages/models/<variant>/, trained by tooling/train): kvkit's logits equal the
// PyTorch model's within 1e-4 on a 160-token prompt (fixtures/<variant>.logits.json, written by the
// exporter), in one prefill and token by token, and each config declares the sharing it was trained with.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bytesPerToken, kvSourceCla, kvSourceIdentity, kvSourceMlkv, yocoConfig } from '@kvkit/cache';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend } from '@kvkit/tensor';
import { LlamaModel, Session } from '../src/index.js';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));
const L = 8;
const yoco = yocoConfig(L, 64);
const VARIANTS: Record<string, { nKvHeads: number; kvSource: number[]; slidingWindow?: (number | null)[] }> = {
  mha: { nKvHeads: 4, kvSource: kvSourceIdentity(L) },
  gqa: { nKvHeads: 2, kvSource: kvSourceIdentity(L) },
  mqa: { nKvHeads: 1, kvSource: kvSourceIdentity(L) },
  mlkv4: { nKvHeads: 1, kvSource: kvSourceMlkv(L, 4) },
  mlkv2: { nKvHeads: 1, kvSource: kvSourceMlkv(L, 2) },
  cla2: { nKvHeads: 2, kvSource: kvSourceCla(L, 2) },
  yoco: { nKvHeads: 2, kvSource: yoco.kvSource, slidingWindow: yoco.slidingWindow },
};

interface Fixture {
  variant: string;
  tokens: number[];
  positions: number[];
  logits: number[][];
}

const cpu = new CpuBackend();

describe.each(Object.keys(VARIANTS))('%s', (name) => {
  it('matches the PyTorch logits within 1e-4, prefill and decode', async () => {
    const fx = JSON.parse(readFileSync(new URL(`./fixtures/${name}.logits.json`, import.meta.url), 'utf8')) as Fixture;
    const loaded = await loadModel(`${MODELS}${name}`);
    const want = VARIANTS[name]!;
    expect(loaded.config).toMatchObject({ dim: 128, nLayers: 8, nHeads: 4, nKvHeads: want.nKvHeads, kvSource: want.kvSource, ropeLayout: 'half', contextLength: 2048 });
    expect(loaded.config.slidingWindow).toEqual(want.slidingWindow);
    expect(loaded.tokenizer!.encode(loaded.tokenizer!.decode(fx.tokens))).toEqual(fx.tokens);
    using model = LlamaModel.load(cpu, loaded);
    const V = loaded.config.vocabSize;
    using prefill = new Session(model);
    const all = await prefill.append(fx.tokens, { allLogits: true });
    using stepwise = new Session(model);
    const rows = new Map<number, Float32Array>();
    await stepwise.append(fx.tokens.slice(0, 40));
    for (let t = 40; t < fx.tokens.length; t++) rows.set(t, await stepwise.append([fx.tokens[t]!]));
    let worstPrefill = 0;
    let worstDecode = 0;
    fx.positions.forEach((p, i) => {
      for (let j = 0; j < V; j++) {
        worstPrefill = Math.max(worstPrefill, Math.abs(all[p * V + j]! - fx.logits[i]![j]!));
        const r = rows.get(p);
        if (r) worstDecode = Math.max(worstDecode, Math.abs(r[j]! - fx.logits[i]![j]!));
      }
    });
    expect(worstPrefill).toBeLessThan(1e-4);
    expect(worstDecode).toBeLessThan(1e-4);
    expect(prefill.stats().bytesPerToken).toBe(bytesPerToken({ kvSource: want.kvSource, nKvHeads: want.nKvHeads, headDim: 32, kvDtype: 'f32' }));
  });
});
