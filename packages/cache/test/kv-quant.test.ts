// Quantised KV storage against float64: round-trip bounds, exact bytes (policies.md §13) and a
// property test of appends, evictions and compaction.
import { describe, expect, it } from 'vitest';
import type { KvDtype } from '@kvkit/tensor';
import { CpuBackend } from '@kvkit/tensor';
import { cacheBytes, KvCache } from '../src/index.js';
import { readHead, type Token } from './kv-reader.js';
import { Prng } from './policy-reference.js';

const cpu = new CpuBackend();
const DTYPES: KvDtype[] = ['f32', 'f16', 'bf16', 'int8', 'kivi4', 'kivi2'];

/**
 * Largest error the scheme may make on x, given the spread of the values quantised together:
 * int8 half a step of amax/127; KIVI half a step of (max - min)/(2^b - 1) plus the f16 rounding of
 * scale and min; half floats their own rounding; residual tokens (KIVI) f16 rounding.
 */
function bound(dtype: KvDtype, x: number, amax: number, range: number): number {
  const f16 = 2 ** -11 * Math.abs(x) + 2 ** -24;
  switch (dtype) {
    case 'f32':
      return 0;
    case 'f16':
      return f16;
    case 'bf16':
      return 2 ** -8 * Math.abs(x);
    case 'int8':
      return (amax / 127) * (0.5 + 2 ** -10) + 2 ** -24;
    case 'kivi4':
    case 'kivi2': {
      const levels = dtype === 'kivi4' ? 15 : 3;
      return Math.max((range / levels) * (0.5 + levels * 2 ** -10) + 2 ** -10 * amax, f16);
    }
    default:
      return dtype satisfies never;
  }
}

function checkClose(dtype: KvDtype, got: Token[], want: Token[], amax: number, range: number): void {
  expect(got.map((t) => t.p)).toEqual(want.map((t) => t.p));
  got.forEach((t, i) => {
    for (const part of ['k', 'v'] as const) {
      t[part].forEach((x, c) => {
        const ref = want[i]![part][c]!;
        const err = Math.abs(x - ref);
        if (err > bound(dtype, ref, amax, range)) throw new Error(`${dtype} ${part} token ${i} dim ${c}: ${x} vs ${ref} (err ${err})`);
      });
    }
  });
}

describe.each(DTYPES)('%s KV storage', (dtype) => {
  it('round-trips random K/V within the scheme bound and counts exact bytes (no eviction)', async () => {
    const rng = new Prng(3);
    const nKv = 2;
    const d = 32;
    using cache = new KvCache(cpu, { nLayers: 1, nKvHeads: nKv, headDim: d, maxTokens: 400, layout: 'paged', kvDtype: dtype, kivi: { group: 32, residual: 64 } });
    const model: Token[][] = [[], []];
    let pos = 0;
    let amax = 0;
    for (const m of [1, 7, 100, 1, 1, 33, 64, 5]) {
      const k = Float32Array.from({ length: m * nKv * d }, () => rng.normal());
      const v = Float32Array.from({ length: m * nKv * d }, () => rng.normal());
      for (const x of [...k, ...v]) amax = Math.max(amax, Math.abs(x));
      cache.write(0, Int32Array.from({ length: m }, (_, i) => pos + i), cpu.tensor('f32', [m, nKv * d], k), cpu.tensor('f32', [m, nKv * d], v));
      for (let i = 0; i < m; i++) {
        for (let h = 0; h < nKv; h++) {
          const o = (i * nKv + h) * d;
          model[h]!.push({ p: pos + i, k: Array.from(k.subarray(o, o + d)), v: Array.from(v.subarray(o, o + d)) });
        }
      }
      pos += m;
      for (let h = 0; h < nKv; h++) checkClose(dtype, await readHead(cache.view(0), h), model[h]!, amax, 2 * amax);
      const layout = { kvSource: [0], nKvHeads: nKv, headDim: d, kvDtype: dtype, kivi: { group: 32, residual: 64 } };
      expect(cache.stats().bytesUsed).toBe(cacheBytes(layout, pos));
    }
  });

  it('keeps contents and bytes consistent through random appends, evictions and compaction', async () => {
    const rng = new Prng(17);
    const nKv = 2;
    const d = 8; // stories260K's head dim: int8 and KIVI value groups are the whole head
    using cache = new KvCache(cpu, { nLayers: 1, nKvHeads: nKv, headDim: d, maxTokens: 600, layout: 'paged', kvDtype: dtype, kivi: { group: 32, residual: 64 } });
    const model: Token[][] = [[], []];
    let pos = 0;
    const amax = 4;
    for (let round = 0; round < 60; round++) {
      const m = rng.pick([1, 1, 1, 3, 20]);
      if (pos + m > 600) break;
      const k = Float32Array.from({ length: m * nKv * d }, () => Math.max(-amax, Math.min(amax, rng.normal())));
      const v = Float32Array.from({ length: m * nKv * d }, () => Math.max(-amax, Math.min(amax, rng.normal())));
      cache.write(0, Int32Array.from({ length: m }, (_, i) => pos + i), cpu.tensor('f32', [m, nKv * d], k), cpu.tensor('f32', [m, nKv * d], v));
      for (let i = 0; i < m; i++) {
        for (let h = 0; h < nKv; h++) {
          const o = (i * nKv + h) * d;
          model[h]!.push({ p: pos + i, k: Array.from(k.subarray(o, o + d)), v: Array.from(v.subarray(o, o + d)) });
        }
      }
      pos += m;
      if (rng.next() < 0.5) {
        // Evict like the policies do: the oldest (streaming), or scattered tokens (H2O).
        const h = rng.int(0, nKv - 1);
        const n = model[h]!.length;
        const keep = rng.next() < 0.5 ? Array.from({ length: n }, (_, j) => j).filter((j) => j < 2 || j >= Math.min(n, 12)) : Array.from({ length: n }, (_, j) => j).filter(() => rng.next() < 0.8);
        const order = cache.layer(0).retain(h, keep);
        expect([...order].sort((a, b) => a - b)).toEqual(keep);
        model[h] = Array.from(order, (j) => model[h]![j]!);
      }
      for (let h = 0; h < nKv; h++) checkClose(dtype, await readHead(cache.view(0), h), model[h]!, amax, 2 * amax);
      const st = cache.stats();
      expect(st.tokensHeld[0]).toEqual(model.map((x) => x.length));
      if (dtype !== 'kivi2' && dtype !== 'kivi4') {
        const row = dtype === 'f32' ? 4 * d : dtype === 'int8' ? d + 2 : 2 * d;
        expect(st.bytesUsed).toBe(2 * row * (model[0]!.length + model[1]!.length));
      }
    }
    // Pages of dead KIVI groups go back to the pool: what is reserved tracks what is held.
    const st = cache.stats();
    expect(st.bytesReserved).toBeLessThan(st.bytesAllocated);
  });
});

describe('KIVI incremental quantisation', () => {
  it('quantises keys a residual block at a time and values one token at a time', async () => {
    using cache = new KvCache(cpu, { nLayers: 1, nKvHeads: 1, headDim: 8, maxTokens: 512, layout: 'paged', kvDtype: 'kivi2', kivi: { group: 32, residual: 64 } });
    const f = cache.view(0).format!;
    if (f.kind !== 'kivi') throw new Error('expected a KIVI view');
    const one = cpu.tensor('f32', [1, 8], new Float32Array(8).fill(0.5));
    for (let t = 1; t <= 200; t++) {
      cache.write(0, Int32Array.of(t - 1), one, one);
      expect(f.keyQuantized[0]).toBe(Math.floor(t / 64) * 64);
      expect(f.valueQuantized[0]).toBe(Math.max(0, t - 64));
    }
  });

  it('rejects a residual that is not a multiple of the group', () => {
    expect(() => new KvCache(cpu, { nLayers: 1, nKvHeads: 1, headDim: 8, maxTokens: 64, kvDtype: 'kivi4', kivi: { group: 32, residual: 48 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
