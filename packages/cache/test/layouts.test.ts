import { describe, expect, it } from 'vitest';
import { CpuBackend } from '@kvkit/tensor';
import { KvCache } from '../src/index.js';
import { Prng } from './policy-reference.js';

const cpu = new CpuBackend();

/** Reads head h of a layer back through its page table: [positions, K rows, V rows]. */
async function contents(cache: KvCache, layer: number, h: number) {
  const kv = cache.layer(layer);
  const k = await cpu.read(kv.view.k);
  const v = await cpu.read(kv.view.v);
  const d = cache.headDim;
  const rows = Array.from(kv.positionsOf(h)).map((p, j) => {
    const s = kv.slotOf(h, j);
    return { p, k: Array.from(k.subarray(s * d, s * d + d)), v: Array.from(v.subarray(s * d, s * d + d)) };
  });
  return rows;
}

describe.each(['contiguous', 'paged'] as const)('%s layout', (layout) => {
  it('keeps exactly the contents of a host model through random appends and evictions', async () => {
    const rng = new Prng(11);
    const nKv = 3;
    const d = 4;
    using cache = new KvCache(cpu, { nLayers: 2, nKvHeads: nKv, headDim: d, maxTokens: 64, layout, pageSize: 8 });
    const model: { p: number; k: number[]; v: number[] }[][] = Array.from({ length: nKv }, () => []);
    let pos = 0;
    for (let round = 0; round < 40; round++) {
      const m = rng.int(1, 5);
      if (Math.max(...model.map((x) => x.length)) + m <= 64) {
        const k = Float32Array.from({ length: m * nKv * d }, () => rng.normal());
        const v = Float32Array.from({ length: m * nKv * d }, () => rng.normal());
        const positions = Int32Array.from({ length: m }, (_, i) => pos + i);
        cache.write(0, positions, cpu.tensor('f32', [m, nKv * d], k), cpu.tensor('f32', [m, nKv * d], v));
        for (let i = 0; i < m; i++) {
          for (let h = 0; h < nKv; h++) {
            const o = (i * nKv + h) * d;
            model[h]!.push({ p: pos + i, k: Array.from(k.subarray(o, o + d)), v: Array.from(v.subarray(o, o + d)) });
          }
        }
        pos += m;
      }
      if (rng.next() < 0.4) {
        const h = rng.int(0, nKv - 1);
        const keep = model[h]!.map((_, j) => j).filter(() => rng.next() < 0.6);
        const order = cache.layer(0).retain(h, keep);
        expect([...order].sort((a, b) => a - b)).toEqual(keep);
        model[h] = Array.from(order, (j) => model[h]![j]!);
      }
      for (let h = 0; h < nKv; h++) expect(await contents(cache, 0, h)).toEqual(model[h]);
      const held = model.reduce((s, x) => s + x.length, 0);
      const st = cache.stats();
      expect(st.bytesUsed).toBe(held * 2 * d * 4);
      expect(st.tokensHeld[0]).toEqual(model.map((x) => x.length));
      expect(st.tokensHeld[1]).toEqual([0, 0, 0]);
      if (layout === 'paged') {
        const pages = model.reduce((s, x) => s + Math.ceil(x.length / 8), 0);
        expect(st.bytesReserved).toBe(pages * 8 * 2 * d * 4);
      } else expect(st.bytesReserved).toBe(2 * nKv * 64 * 2 * d * 4);
    }
  });
});

describe('KvCache', () => {
  it('allocates only for source layers and lets sharing layers read them', () => {
    using cache = new KvCache(cpu, { nLayers: 4, nKvHeads: 2, headDim: 8, maxTokens: 16, kvSource: [0, 0, 2, 2] });
    expect(cache.sourceLayers).toEqual([0, 2]);
    expect(cache.bytesPerToken).toBe(2 * 2 * 2 * 8 * 4);
    expect(cache.view(1)).toBe(cache.view(0));
    const k = cpu.tensor('f32', [1, 16]);
    expect(() => cache.write(1, Int32Array.of(0), k, k)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new KvCache(cpu, { nLayers: 2, nKvHeads: 1, headDim: 8, maxTokens: 4, kvSource: [1, 1] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses to overflow a head and to exhaust the page pool, without changing state', () => {
    using cache = new KvCache(cpu, { nLayers: 1, nKvHeads: 1, headDim: 4, maxTokens: 8, layout: 'paged', pageSize: 4, poolPages: 1 });
    const four = cpu.tensor('f32', [4, 4]);
    cache.write(0, Int32Array.of(0, 1, 2, 3), four, four);
    const one = cpu.tensor('f32', [1, 4]);
    expect(() => cache.write(0, Int32Array.of(4), one, one)).toThrow(expect.objectContaining({ code: 'CACHE_FULL' }));
    const nine = cpu.tensor('f32', [9, 4]);
    expect(() => cache.write(0, Int32Array.from({ length: 9 }, (_, i) => i), nine, nine)).toThrow(expect.objectContaining({ code: 'CACHE_FULL' }));
    expect(cache.stats().tokensHeld).toEqual([[4]]);
  });
});

describe('eviction as a ring buffer', () => {
  it('moves one row per evicted token, whatever the window size', () => {
    let moved = 0;
    const counting = Object.assign(Object.create(cpu) as CpuBackend, {
      kvMove: (k: Parameters<CpuBackend['kvMove']>[0], v: Parameters<CpuBackend['kvMove']>[1], from: Int32Array, to: Int32Array) => {
        moved += from.length;
        cpu.kvMove(k, v, from, to);
      },
    });
    using cache = new KvCache(counting, { nLayers: 1, nKvHeads: 1, headDim: 4, maxTokens: 300, layout: 'paged' });
    const one = cpu.tensor('f32', [1, 4]);
    for (let t = 0; t < 300; t++) {
      const pos = cache.layer(0).positionsOf(0);
      if (pos.length === 64) {
        // keep all but the oldest (what windowEvict returns): live indices of the 63 newest
        const keep = Array.from(pos, (_, i) => i).filter((i) => pos[i] !== Math.min(...pos));
        cache.layer(0).retain(0, keep);
      }
      cache.write(0, Int32Array.of(t), one, one);
    }
    expect(moved).toBe(300 - 64);
    const held = Array.from(cache.layer(0).positionsOf(0)).sort((a, b) => a - b);
    expect(held).toEqual(Array.from({ length: 64 }, (_, i) => 236 + i));
  });
});
