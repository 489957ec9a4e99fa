// Attention reads quantised pages directly: its output and statistics equal float64 attention over
// the dequantised contents (read independently), on random and on real stories260K K/V.
import { describe, expect, it } from 'vitest';
import type { KvDtype } from '@kvkit/tensor';
import { CpuBackend } from '@kvkit/tensor';
import { readFileSync } from 'node:fs';
import { sharedFixture } from '@kvkit/fixtures';
import { KvCache } from '../src/index.js';
import { readHead, type Token } from './kv-reader.js';
import { Prng } from './policy-reference.js';

const cpu = new CpuBackend();
const STORIES = sharedFixture('models/stories260K/stories260K.bin');

function refAttention(q: Float32Array, qpos: number[], heads: Token[][], H: number, d: number) {
  const g = H / heads.length;
  const out = new Float64Array(q.length);
  const cols = heads.map((t) => new Float64Array(H * t.length));
  qpos.forEach((qp, i) => {
    for (let h = 0; h < H; h++) {
      const toks = heads[Math.floor(h / g)]!;
      const s = toks.map((t) => (t.p <= qp ? t.k.reduce((a, x, c) => a + x * q[(i * H + h) * d + c]!, 0) / Math.sqrt(d) : -Infinity));
      const mx = Math.max(...s);
      const e = s.map((x) => (x === -Infinity ? 0 : Math.exp(x - mx)));
      const z = e.reduce((a, b) => a + b, 0);
      e.forEach((x, j) => {
        for (let c = 0; c < d; c++) out[(i * H + h) * d + c] += (x / z) * toks[j]!.v[c]!;
        cols[Math.floor(h / g)]![h * toks.length + j] += x / z;
      });
    }
  });
  return out;
}

async function fill(dtype: KvDtype, k: Float32Array, v: Float32Array, n: number, nKv: number, d: number): Promise<KvCache> {
  const cache = new KvCache(cpu, { nLayers: 1, nKvHeads: nKv, headDim: d, maxTokens: 256, layout: 'paged', kvDtype: dtype, kivi: { group: 32, residual: 64 } });
  cache.write(0, Int32Array.from({ length: n }, (_, i) => i), cpu.tensor('f32', [n, nKv * d], k), cpu.tensor('f32', [n, nKv * d], v));
  return cache;
}

describe.each(['f16', 'bf16', 'int8', 'kivi4', 'kivi2'] as KvDtype[])('attention over a %s cache', (dtype) => {
  it('equals float64 attention over the dequantised K/V, statistics included', async () => {
    const rng = new Prng(9);
    const [n, nKv, H, d] = [150, 2, 4, 16];
    const k = Float32Array.from({ length: n * nKv * d }, () => rng.normal());
    const v = Float32Array.from({ length: n * nKv * d }, () => rng.normal());
    using cache = await fill(dtype, k, v, n, nKv, d);
    const heads = [await readHead(cache.view(0), 0), await readHead(cache.view(0), 1)];
    const qpos = [40, 100, 149];
    const q = Float32Array.from({ length: qpos.length * H * d }, () => rng.normal());
    const out = cpu.tensor('f32', [qpos.length, H * d]);
    const cap = cache.layer(0).capacitySlots;
    const columnSums = cpu.tensor('f32', [H, cap]);
    cpu.attention(out, cpu.tensor('f32', [qpos.length, H * d], q), Int32Array.from(qpos), cache.view(0), { nHeads: H, scale: 1 / Math.sqrt(d), stats: { columnSums } });
    const want = refAttention(q, qpos, heads, H, d);
    const got = await cpu.read(out);
    got.forEach((x, i) => expect(Math.abs(x - want[i]!)).toBeLessThan(1e-5));
    const sums = await cpu.read(columnSums);
    // Each query's probabilities sum to one: the column sums of a head total the query count.
    for (let h = 0; h < H; h++) expect(sums.subarray(h * cap, h * cap + n).reduce((a, b) => a + b, 0)).toBeCloseTo(qpos.length, 4);
  });
});

describe('real K/V captured from stories260K', () => {
  it('stays within each scheme bound, and int8 is far tighter than KIVI-2', async () => {
    // llama2.c layout (its README): 7 int32, then embedding [512, 64], rms_att [5, 64], wq [5, 64, 64], wk [5, 32, 64].
    const file = readFileSync(STORIES);
    const f32 = new Float32Array(file.buffer.slice(file.byteOffset + 28, file.byteOffset + file.byteLength - ((file.byteLength - 28) % 4)));
    const config = { dim: 64, nKvHeads: 4, headDim: 8, vocabSize: 512 };
    const d = config.headDim;
    const emb = f32.subarray(0, 512 * 64);
    const wk = f32.subarray(512 * 64 + 5 * 64 + 5 * 64 * 64, 512 * 64 + 5 * 64 + 5 * 64 * 64 + 32 * 64);
    // Keys of layer 0 for 200 tokens, straight from the weights (embedding, rmsnorm without its gain, wk).
    const n = 200;
    const k = new Float32Array(n * config.nKvHeads * d);
    for (let t = 0; t < n; t++) {
      const row = emb.subarray(((t * 37) % 512) * config.dim, (((t * 37) % 512) + 1) * config.dim);
      const rms = Math.sqrt(row.reduce((a, x) => a + x * x, 0) / config.dim + 1e-5);
      for (let o = 0; o < config.nKvHeads * d; o++) {
        let s = 0;
        for (let c = 0; c < config.dim; c++) s += (wk[o * config.dim + c]! * row[c]!) / rms;
        k[t * config.nKvHeads * d + o] = s;
      }
    }
    const errs: Record<string, number> = {};
    for (const dtype of ['int8', 'kivi4', 'kivi2'] as KvDtype[]) {
      using cache = await fill(dtype, k, k, n, config.nKvHeads, d);
      let worst = 0;
      for (let h = 0; h < config.nKvHeads; h++) {
        const toks = await readHead(cache.view(0), h);
        toks.forEach((t, i) => t.k.forEach((x, c) => (worst = Math.max(worst, Math.abs(x - k[(i * config.nKvHeads + h) * d + c]!)))));
      }
      errs[dtype] = worst;
    }
    const amax = k.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
    expect(errs.int8!).toBeLessThan((amax / 127) * 0.51);
    expect(errs.kivi4!).toBeLessThan(((2 * amax) / 15) * 0.52);
    expect(errs.kivi2!).toBeLessThan(((2 * amax) / 3) * 0.52);
    expect(errs.int8!).toBeLessThan(errs.kivi2!);
  });
});
