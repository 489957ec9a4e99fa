// Quantised and half-precision KV caches on WebGPU against the CPU backend: kvWrite encodes f16, bf16
// and int8 rows byte for byte as the CPU does (ties, subnormals, overflow included); for every KV
// dtype the same KvCache built on both backends (@kvkit/cache: prefill, decode, evictions through
// `retain`, KIVI flushes and page releases) holds identical bytes in its pools, key parameters and
// residual rings, and attention (prefill and decode, with the policy statistics) agrees within 1e-5;
// stories260K decodes the CPU's greedy tokens with int8 and KIVI-4 caches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import { KvCache } from '@kvkit/cache';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import type { SessionOptions } from '@kvkit/runtime';
import { argmax, LlamaModel, Session } from '@kvkit/runtime';
import type { Backend, KvDtype, Tensor } from '@kvkit/tensor';
import { CpuBackend, f16BitsToF32, f32ToF16Bits, int8Layout } from '@kvkit/tensor';
import { randomF32, Rng, setup } from '@kvkit/test-utils';
import type { WebGPUBackend } from '../src/index.js';
import { createWebGPUBackend } from '../src/index.js';
import { probeNodeGpu, skipSuite } from './gpu.js';

setup();
const GGUF = sharedFixture('models/stories260K/stories260K.gguf');

/** Same length and every element identical (Object.is: -0 differs from +0), else the first differences. */
function expectIdentical(got: Float32Array, want: Float32Array, what: string): void {
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (Object.is(got[i], want[i])) continue;
    count++;
    if (bad.length < 5) bad.push(`[${i}] ${got[i]} vs ${want[i]}`);
  }
  expect(count === 0 && got.length === want.length, `${what}: ${count} of ${want.length} differ (lengths ${got.length}/${want.length}): ${bad.join(', ')}`).toBe(true);
}

/** Values that exercise the encoders' rounding: f16/bf16 ties, f16 subnormals and overflow, zeros. */
const SPECIAL = [
  0, -0, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -(1 + 2 ** -11), 2 ** -25, 3 * 2 ** -26, -(2 ** -25), 1.5 * 2 ** -24, 2.5 * 2 ** -24, 65504, 65520, -65520, 1e30, 1 + 2 ** -8, 1 + 3 * 2 ** -8,
  -(1 + 2 ** -8), 2 ** -149, -(2 ** -130), 1e-40, 3.4e38, 2 ** -14 - 2 ** -25,
];

/** An int8 block that is all ties at scale 2^-5 (amax = 127 * 2^-5): Math.round rounds them upwards. */
function tieBlock(n: number): number[] {
  const base = [127, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5, 126.5, -126.5, 3.5, -3.5, 64.5, -64.5, 0, -0, 100.5];
  return Array.from({ length: n }, (_, i) => base[i % base.length]! * 2 ** -5);
}

/** f16 bits of a positive double rounded once, to nearest even (the CPU rounds twice: to f32, then f16). */
function roundOnceToF16(x: number): number {
  const ulp = 2 ** (Math.floor(Math.log2(x)) - 10);
  let r = Math.floor(x / ulp);
  const frac = x / ulp - r;
  if (frac > 0.5 || (frac === 0.5 && r & 1)) r++;
  return f32ToF16Bits(r * ulp);
}

/**
 * KIVI groups whose (max - min) / L lies next to an f16 midpoint: [max, min] f16 pairs, the first
 * ones where the CPU's two roundings (f32, then f16) differ from one.
 */
function kiviMidpointPairs(rng: Rng, levels: number, n: number): { pairs: [number, number][]; twice: number } {
  const once: [number, number][] = [];
  const twice: [number, number][] = [];
  for (let i = 0; i < 400_000 && (once.length < n || (twice.length < 8 && i < 100_000)); i++) {
    const h = 0x0400 + rng.int(0x6c00);
    const mid = (f16BitsToF32(h) + f16BitsToF32(h + 1)) / 2;
    const target = mid * levels;
    const maxBits = f32ToF16Bits(target) + rng.int(3) - 1;
    const minBits = f32ToF16Bits(f16BitsToF32(maxBits) - target) + rng.int(5) - 2;
    if ((maxBits & 0x7fff) >= 0x7c00 || minBits < 0 || (minBits & 0x7fff) >= 0x7c00) continue;
    const [mx, mn] = [f16BitsToF32(maxBits), f16BitsToF32(minBits)];
    if (!(mn < mx)) continue;
    const q = (mx - mn) / levels;
    if (f32ToF16Bits(q) !== roundOnceToF16(q)) twice.push([mx, mn]);
    else once.push([mx, mn]);
  }
  return { pairs: [...twice.slice(0, 8), ...once].slice(0, n), twice: Math.min(8, twice.length) };
}

const probe = await probeNodeGpu();
if (!probe.gpu) skipSuite('webgpu quantised KV caches', probe.reason);
else {
  const gpu = probe.gpu;
  describe('webgpu quantised KV caches', () => {
    let be: WebGPUBackend;
    const cpu = new CpuBackend();
    beforeAll(async () => {
      be = await createWebGPUBackend({ gpu });
    });
    afterAll(() => be?.dispose());

    it('kvWrite encodes f16, bf16 and int8 rows byte for byte as the CPU (ties, subnormals, overflow, random bits)', async () => {
      const rng = new Rng(11);
      for (const d of [8, 40]) {
        const m = 48;
        const nKv = 2;
        const rows = m * nKv;
        const k = randomF32(rng, m * nKv * d);
        const v = randomF32(rng, m * nKv * d, { scale: 3 });
        // Rows 1-2: int8 tie blocks; rows 3-9: random finite bit patterns; row 10: amax / 127 in f16's
        // subnormal range; row 11: below half its smallest subnormal; from row 12: the special values.
        SPECIAL.forEach((x, i) => ((k[12 * d + i] = x), (v[12 * d + i] = -x)));
        tieBlock(d).forEach((x, i) => ((k[d + i] = x), (v[2 * d + i] = -x)));
        const bits = new Uint32Array(k.buffer, 3 * d * 4, 7 * d);
        for (let i = 0; i < bits.length; i++) {
          let b = rng.u32();
          if ((b & 0x7f800000) === 0x7f800000) b &= 0xbfffffff; // no inf / NaN
          bits[i] = b;
        }
        for (let c = 0; c < d; c++) {
          k[10 * d + c] = (c - d / 2) * 3e-7;
          k[11 * d + c] = (c - d / 2) * 1e-10;
        }
        const slots = Int32Array.from(rng.shuffle(Array.from({ length: rows }, (_, i) => i)));
        for (const dtype of ['f16', 'bf16', 'int8'] as const) {
          const got: Float32Array[] = [];
          for (const b of [be, cpu] as Backend[]) {
            const [pk, pv] = dtype === 'int8' ? [b.tensor('u8', [rows, int8Layout(d).slotBytes]), b.tensor('u8', [rows, int8Layout(d).slotBytes])] : [b.tensor(dtype, [rows, d]), b.tensor(dtype, [rows, d])];
            // Two calls into one pool: rows written by one call sit next to rows of the other.
            const half = (m / 2) * nKv;
            for (const [s0, s1] of [
              [0, half],
              [half, rows],
            ] as const) {
              const nk = b.tensor('f32', [(s1 - s0) / nKv, nKv * d], k.subarray(s0 * d, s1 * d));
              const nv = b.tensor('f32', [(s1 - s0) / nKv, nKv * d], v.subarray(s0 * d, s1 * d));
              b.kvWrite(pk, pv, slots.subarray(s0, s1), nk, nv, dtype === 'int8' ? { kind: 'int8' } : { kind: dtype });
            }
            got.push(await b.read(pk), await b.read(pv));
          }
          expectIdentical(got[0]!, got[2]!, `${dtype} d=${d} K`);
          expectIdentical(got[1]!, got[3]!, `${dtype} d=${d} V`);
        }
      }
    });

    it('rounds scales next to f16 midpoints as the CPU (int8 blocks; KIVI key and value groups, double rounding included)', async () => {
      const rng = new Rng(12);
      // int8: amax = m * 127 give or take a few f32 ulps, m an f16 midpoint; rows of 34 bytes.
      const [rows, d] = [1024, 32];
      const k = new Float32Array(rows * d);
      const u = new Uint32Array(1);
      const f = new Float32Array(u.buffer);
      for (let r = 0; r < rows; r++) {
        const h = 0x0400 + rng.int(0x6800);
        f[0] = ((f16BitsToF32(h) + f16BitsToF32(h + 1)) / 2) * 127;
        u[0] += rng.int(7) - 3;
        const amax = f[0]!;
        for (let c = 0; c < d; c++) k[r * d + c] = rng.uniform(-amax, amax);
        k[r * d + rng.int(d)] = rng.int(2) ? amax : -amax;
      }
      const slots = Int32Array.from({ length: rows }, (_, i) => i);
      const int8: Float32Array[] = [];
      for (const b of [be, cpu] as Backend[]) {
        const [pk, pv] = [b.tensor('u8', [rows, int8Layout(d).slotBytes]), b.tensor('u8', [rows, int8Layout(d).slotBytes])];
        b.kvWrite(pk, pv, slots, b.tensor('f32', [rows, d], k), b.tensor('f32', [rows, d], k.map((x) => -x)), { kind: 'int8' });
        int8.push(await b.read(pk), await b.read(pv));
      }
      expectIdentical(int8[0]!, int8[2]!, 'int8 K');
      expectIdentical(int8[1]!, int8[3]!, 'int8 V');

      // KIVI: each value group and each key channel group spans one crafted [max, min] pair.
      for (const kvDtype of ['kivi4', 'kivi2'] as const) {
        const [nKv, hd, G, R, total] = [1, 40, 16, 16, 64];
        const { pairs, twice } = kiviMidpointPairs(rng, kvDtype === 'kivi4' ? 15 : 3, 3 * total + (total / G) * hd);
        // (With L = 3 and f16 inputs, rounding twice next to a midpoint does not seem to differ.)
        if (kvDtype === 'kivi4') expect(twice, 'cases where rounding twice differs from rounding once').toBeGreaterThan(0);
        let next = 0;
        const fill = (row: Float32Array, at: number, n: number) => {
          const [mx, mn] = pairs[next++ % pairs.length]!;
          for (let c = 0; c < n; c++) row[at + c] = mn + (mx - mn) * rng.float();
          row[at + rng.int(n)] = mx;
          row[at + ((rng.int(n - 1) + 1 + (row.indexOf(mx, at) - at)) % n)] = mn;
        };
        const K = new Float32Array(total * hd);
        const V = new Float32Array(total * hd);
        for (let j = 0; j < total; j++) for (const [at, n] of [[0, 16], [16, 16], [32, 8]] as const) fill(V, j * hd + at, n);
        for (let g = 0; g < total / G; g++) {
          for (let c = 0; c < hd; c++) {
            const col = new Float32Array(G);
            fill(col, 0, G);
            col.forEach((x, j) => (K[(g * G + j) * hd + c] = x));
          }
        }
        const bytes: Float32Array[][] = [];
        for (const b of [be, cpu] as Backend[]) {
          using cache = new KvCache(b, { nLayers: 1, nKvHeads: nKv, headDim: hd, maxTokens: total, layout: 'paged', pageSize: G, kvDtype, kivi: { group: G, residual: R } });
          for (let j = 0; j < total; j += 8) {
            using kt = b.tensor('f32', [8, hd], K.subarray(j * hd, (j + 8) * hd));
            using vt = b.tensor('f32', [8, hd], V.subarray(j * hd, (j + 8) * hd));
            cache.write(0, Int32Array.from({ length: 8 }, (_, i) => j + i), kt, vt);
          }
          const view = cache.view(0);
          const fmt = view.format as Extract<NonNullable<typeof view.format>, { kind: 'kivi' }>;
          expect([fmt.keyQuantized[0], fmt.valueQuantized[0]]).toEqual([total, total - R]);
          bytes.push(await Promise.all([view.k, view.v, fmt.keyParams].map((t) => b.read(t))));
        }
        bytes[0]!.forEach((t, i) => expectIdentical(t, bytes[1]![i]!, `${kvDtype} ${['K codes', 'V rows', 'key parameters'][i]}`));
      }
    });

    for (const kvDtype of ['f16', 'bf16', 'int8', 'kivi4', 'kivi2'] as KvDtype[]) {
      it(`${kvDtype}: the same KvCache (writes, evictions${kvDtype.startsWith('kivi') ? ', KIVI flushes' : ''}) holds the CPU's bytes; attention and statistics within 1e-5`, async () => {
        const [nKv, nHeads, d, G, R] = [2, 4, 40, 16, 32];
        const width = nKv * d;
        const rng = new Rng(100 + kvDtype.length);
        // One stream of K/V rows for both backends: random, with KIVI / int8 ties in the first tokens.
        const total = 80;
        const K = randomF32(rng, total * width);
        const V = randomF32(rng, total * width);
        const pattern = [0, 15, 2.5, 7.5, 0.5, 14.5, 12.5, 1, 3, 5.5, 9.5, 11, 6.5, 4.5, 13.5, 10];
        for (let j = 0; j < 16; j++) for (let c = 0; c < 8; c++) K[j * width + c] = pattern[j]! * 2 ** (c - 4); // key groups of ties
        for (let c = 0; c < d; c++) V[3 * width + c] = pattern[c % 16]! * 0.25; // value groups of ties
        tieBlock(32).forEach((x, c) => (V[5 * width + d + c] = x)); // an int8 block of ties
        K[7 * width + 3] = 1 + 2 ** -11;
        K[7 * width + 4] = 1 + 2 ** -8;
        const Q = randomF32(rng, 8 * nHeads * d);
        const scale = 1 / Math.sqrt(d);

        const run = async (b: Backend) => {
          using cache = new KvCache(b, { nLayers: 1, nKvHeads: nKv, headDim: d, maxTokens: 96, layout: 'paged', pageSize: 16, kvDtype, kivi: { group: G, residual: R } });
          const view = cache.view(0);
          const cap = view.pagesPerHead * view.pageSize;
          const results: Float32Array[] = [];
          let next = 0;
          const write = (n: number) => {
            using k = b.tensor('f32', [n, width], K.subarray(next * width, (next + n) * width));
            using v = b.tensor('f32', [n, width], V.subarray(next * width, (next + n) * width));
            cache.write(0, Int32Array.from({ length: n }, (_, i) => next + i), k, v);
            next += n;
          };
          const attend = async (m: number, statsWindow: number) => {
            using q = b.tensor('f32', [m, nHeads * d], Q.subarray(0, m * nHeads * d));
            using out = b.tensor('f32', [m, nHeads * d]);
            using col = b.tensor('f32', [nHeads, cap]);
            using win = b.tensor('f32', [nHeads, cap]);
            const positions = Int32Array.from({ length: m }, (_, i) => next - m + i);
            b.attention(out, q, positions, cache.view(0), { nHeads, scale, stats: { columnSums: col, windowSums: win, window: statsWindow } });
            results.push(await b.read(out), await b.read(col), await b.read(win));
          };
          write(40); // prefill (KIVI: a key flush at 32, then values)
          await attend(6, 3);
          for (let i = 0; i < 24; i++) write(1); // decode (KIVI: values one at a time, keys again at 64)
          await attend(1, 1);
          // Evictions: head 0 drops its 20 oldest tokens (KIVI: a whole dead page goes back), head 1 every third.
          const layer = cache.layer(0);
          layer.retain(0, Int32Array.from({ length: layer.held(0) - 20 }, (_, i) => i + 20));
          layer.retain(1, Int32Array.from({ length: layer.held(1) }, (_, i) => i).filter((i) => i % 3 !== 1));
          await attend(1, 1);
          for (let i = 0; i < 12; i++) write(1);
          write(4);
          await attend(5, 2);
          const f = view.format!;
          const pools: Tensor[] = [view.k, view.v, ...(f.kind === 'kivi' ? [f.keyParams, f.residualK, f.residualV] : [])];
          const bytes = await Promise.all(pools.map((t) => b.read(t)));
          const state = { lengths: Array.from(view.lengths), positions: Array.from(view.positions), pageTable: Array.from(view.pageTable), ...(f.kind === 'kivi' ? { kq: Array.from(f.keyQuantized), vq: Array.from(f.valueQuantized), ringBase: Array.from(f.ringBase) } : {}) };
          return { results, bytes, state };
        };
        const want = await run(cpu);
        const got = await run(be);
        expect(got.state).toEqual(want.state);
        if (kvDtype.startsWith('kivi')) expect((want.state as { ringBase: number[] }).ringBase[0]).toBeGreaterThan(0); // a page went back
        const names = ['K pool', 'V pool', 'key parameters', 'K residual ring', 'V residual ring'];
        got.bytes.forEach((b, i) => expectIdentical(b, want.bytes[i]!, `${kvDtype} ${names[i]}`));
        got.results.forEach((r, i) => expect(r, `${kvDtype} ${['output', 'columnSums', 'windowSums'][i % 3]} of attention call ${Math.floor(i / 3)}`).toBeAllclose(want.results[i]!, { atol: 1e-5, rtol: 1e-5 }));
      });
    }

    describe('stories260K', () => {
      let loaded: LoadedModel;
      beforeAll(async () => {
        loaded = await loadModel(GGUF);
      });
      const greedy = async (backend: Backend, n: number, opts: SessionOptions) => {
        using model = LlamaModel.load(backend, loaded);
        using session = new Session(model, opts);
        const tokens: number[] = [];
        let last = await session.append([loaded.config.bosId]);
        for (let i = 0; i < n; i++) {
          const best = argmax(last);
          tokens.push(best);
          if (i + 1 < n) last = await session.append([best]);
        }
        return tokens;
      };
      // KIVI with a residual of 32 so that 64 tokens flush keys twice and quantise values every step.
      for (const opts of [{ kvDtype: 'int8' }, { kvDtype: 'kivi4', kivi: { residual: 32 } }] as SessionOptions[]) {
        it(`greedy 64 tokens with a ${opts.kvDtype} cache equal the CPU's`, async () => {
          const want = await greedy(cpu, 64, opts);
          expect(await greedy(be, 64, opts)).toEqual(want);
        });
      }
    });
  });
}
