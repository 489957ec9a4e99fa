// The WebAssembly CPU backend beyond the shared conformance suite: the assembler's encodings, the
// repacked quantised layout, the allocator, larger and odd-shaped kernels against the JS reference
// backend, memory growth under live tensors, and tensor ownership across backend instances.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, DType, KvView, Tensor } from '../src/index.js';
import { CpuBackend, decode, encode, KvkitError, WasmCpuBackend } from '../src/index.js';
import { createWasmCpuBackend } from '../src/node.js';
import { f32, i32, ModuleBuilder, sleb, uleb } from '../src/cpu/wasm/asm.js';
import { Heap, PAGE } from '../src/cpu/wasm/heap.js';
import { buildKernelModule } from '../src/cpu/wasm/kernels.js';
import { repack, scalesOffset, toGguf } from '../src/cpu/wasm/layout.js';
import { wasm as WebAssembly } from '../src/cpu/wasm/wasm-api.js';

/** Seeded uniform values in [-scale, scale). */
function rand(n: number, seed: number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return v;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('assembler', () => {
  it('encodes LEB128 like the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-128)).toEqual([0x80, 0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('assembles a module with loops, memory and SIMD that runs', async () => {
    const mod = new ModuleBuilder({ module: 'env', name: 'memory', initial: 1, maximum: 2, shared: false });
    // sum(p, n): f32 sum of n floats at p, 4 lanes at a time.
    const f = mod.fn('sum', [i32, i32], [f32]);
    const [p, n] = f.paramLocals;
    const j = f.local(i32);
    const acc = f.local(0x7b);
    f.f32x4(0).set(acc);
    f.for(j, 0, () => f.get(n!).i32(2).op('i32.shl'), 16, () => {
      f.get(acc).get(p!).get(j).op('i32.add').vmem('v128.load').simd('f32x4.add').set(acc);
    });
    for (let l = 0; l < 4; l++) f.get(acc).lane('f32x4.extract_lane', l);
    f.op('f32.add').op('f32.add').op('f32.add');
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: false });
    const inst = new WebAssembly.Instance(await WebAssembly.compile(mod.encode()), { env: { memory } });
    new Float32Array(memory.buffer).set([1, 2, 3, 4, 5, 6, 7, 8], 4);
    expect((inst.exports.sum as (p: number, n: number) => number)(16, 8)).toBe(36);
  });

  it('builds a valid kernel module for shared and unshared memories', () => {
    for (const shared of [false, true]) expect(WebAssembly.validate(buildKernelModule({ shared, initialPages: 2, maximumPages: 1024 }))).toBe(true);
  });
});

describe('repacked quantised layout', () => {
  for (const dtype of ['q8_0', 'q4_0'] as const) {
    it(`${dtype}: codes then scales, and back to the GGUF bytes`, () => {
      const raw = encode(dtype, rand(4 * 64, 3));
      const packed = new Uint8Array(raw.length);
      repack(dtype, raw, packed);
      const blockBytes = dtype === 'q8_0' ? 34 : 18;
      const so = scalesOffset(dtype, 8);
      expect(so).toBe(8 * (blockBytes - 2));
      // Block 5's scale and first code.
      expect([packed[so + 10], packed[so + 11]]).toEqual([raw[5 * blockBytes], raw[5 * blockBytes + 1]]);
      expect(packed[5 * (blockBytes - 2)]).toBe(raw[5 * blockBytes + 2]);
      expect(toGguf(dtype, packed)).toEqual(raw);
    });
  }
});

describe('heap', () => {
  it('reuses freed blocks, coalesces neighbours, zeroes what it hands out and grows the memory', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared: false });
    const heap = new Heap(memory, 64, 1024);
    const a = heap.alloc(100);
    const b = heap.alloc(1000);
    const c = heap.alloc(10);
    expect(a.ptr % 64).toBe(0);
    expect(b.ptr).toBe(a.ptr + a.size);
    heap.u8.fill(7, a.ptr, c.ptr + c.size);
    heap.free(a.ptr, a.size);
    heap.free(b.ptr, b.size);
    const d = heap.alloc(1100); // fits the coalesced a + b
    expect(d.ptr).toBe(a.ptr);
    expect(heap.u8.subarray(d.ptr, d.ptr + d.size).every((x) => x === 0)).toBe(true);
    heap.free(c.ptr, c.size); // the top block returns to the bump region...
    const e = heap.alloc(10);
    expect(e.ptr).toBe(c.ptr);
    expect(heap.u8[e.ptr]).toBe(0); // ...and is zeroed again when handed out
    const before = heap.generation;
    const big = heap.alloc(3 * PAGE);
    expect(heap.generation).toBeGreaterThan(before);
    expect(heap.u8.length).toBeGreaterThanOrEqual(big.ptr + big.size);
    expect(() => heap.alloc(100 * PAGE)).toThrow(KvkitError);
  });
});

describe('WasmCpuBackend against the CpuBackend', () => {
  const cpu = new CpuBackend();
  const backends: [string, WasmCpuBackend][] = [];
  beforeAll(async () => {
    backends.push(['1 thread', await createWasmCpuBackend({ threads: 1 })]);
    backends.push(['2 threads', await createWasmCpuBackend({ threads: 2, minParallelWork: 1 })]);
  });
  afterAll(() => {
    for (const [, b] of backends) b[Symbol.dispose]();
  });

  const run = async (be: Backend, dtype: DType, m: number, n: number, k: number) => {
    const w = be.tensor(dtype, [n, k], encode(dtype, rand(n * k, n + k, 1 / Math.sqrt(k))));
    const x = be.tensor('f32', [m, k], rand(m * k, m + 7));
    const out = be.tensor('f32', [m, n]);
    be.matmul(out, x, w);
    const r = await be.read(out);
    for (const t of [w, x, out]) t.dispose();
    return r;
  };

  it('matmul: every dtype, GEMV and GEMM, odd row counts and long rows', async () => {
    const shapes: [number, number, number][] = [
      [1, 259, 2048],
      [1, 37, 1000],
      [5, 70, 2048],
      [33, 9, 96],
    ];
    for (const [name, be] of backends) {
      for (const dtype of ['f32', 'q8_0', 'q4_0', 'f16', 'bf16'] as const) {
        for (const [m, n, k] of shapes) {
          if (dtype !== 'f32' && k % 32) continue;
          const got = await run(be, dtype, m, n, k);
          const want = await run(cpu, dtype, m, n, k);
          expect(maxAbsDiff(got, want), `${name} ${dtype} ${m}x${n}x${k}`).toBeLessThan(3e-5);
        }
      }
    }
  }, 30_000);

  it.each([64, 48, 128, 4])('attention over a long paged f32 cache, head dim %i (the SIMD exp over a wide score range, every column tile)', async (d) => {
    const [nKvHeads, nHeads, pageSize, pagesPerHead] = [2, 6, 32, 40];
    const cap = pageSize * pagesPerHead;
    const lengths = Int32Array.of(1200, 777);
    const pageTable = Int32Array.from({ length: nKvHeads * pagesPerHead }, (_, i) => (i * 37) % (nKvHeads * pagesPerHead));
    const positions = Int32Array.from({ length: nKvHeads * cap }, (_, i) => (i % cap) * 2);
    const kv = [rand(nKvHeads * cap * d, 5, 3), rand(nKvHeads * cap * d, 6)];
    const q = rand(3 * nHeads * d, 8, 2);
    const results: Float32Array[] = [];
    for (const be of [cpu, ...backends.map(([, b]) => b)]) {
      const view: KvView = { k: be.tensor('f32', [nKvHeads * cap, d], kv[0]), v: be.tensor('f32', [nKvHeads * cap, d], kv[1]), nKvHeads, headDim: d, pageSize, pagesPerHead, pageTable, lengths, positions };
      const out = be.tensor('f32', [3, nHeads * d]);
      be.attention(out, be.tensor('f32', [3, nHeads * d], q), Int32Array.of(2400, 1500, 900), view, { nHeads, scale: 0.125, slidingWindow: 1000 });
      results.push(await be.read(out));
    }
    for (const r of results.slice(1)) expect(maxAbsDiff(r, results[0]!)).toBeLessThan(2e-5);
  });

  it('decode-time rope (one position, cached cos / sin) is bit-identical to the reference', async () => {
    for (const layout of ['adjacent', 'half'] as const) {
      for (const [pos, theta, headDim] of [[7, 10000, 64], [7, 10000, 48], [4095, 500000, 128], [7, 10000, 64]] as const) {
        const opts = { nHeads: 3, headDim, theta, layout };
        const x = rand(3 * headDim, pos + headDim, 1);
        const results: Float32Array[] = [];
        for (const be of [cpu, ...backends.map(([, b]) => b)]) {
          const t = be.tensor('f32', [1, 3 * headDim], x.slice()); // the CpuBackend adopts (and rope mutates) its input
          be.rope(t, Int32Array.of(pos), opts);
          results.push(await be.read(t));
        }
        for (const r of results.slice(1)) expect(r).toEqual(results[0]);
      }
    }
  });

  it('embed decodes rows of repacked q8_0 / q4_0 tables exactly', async () => {
    for (const [, be] of backends) {
      for (const dtype of ['q8_0', 'q4_0'] as const) {
        const bytes = encode(dtype, rand(50 * 96, 9));
        const out = be.tensor('f32', [3, 96]);
        be.embed(out, be.tensor(dtype, [50, 96], bytes), Int32Array.of(49, 0, 17));
        const all = decode(dtype, bytes, 50 * 96);
        expect(await be.read(out)).toEqual(Float32Array.from([...all.subarray(49 * 96, 50 * 96), ...all.subarray(0, 96), ...all.subarray(17 * 96, 18 * 96)]));
      }
    }
  });

  it('keeps tensors valid while the memory grows, and frees what is disposed', async () => {
    const be = await createWasmCpuBackend({ threads: 1 });
    const a = be.tensor('f32', [4], Float32Array.of(1, 2, 3, 4));
    const live0 = be.memoryStats.live;
    const big: Tensor[] = [];
    for (let i = 0; i < 6; i++) big.push(be.tensor('f32', [1 << 20]));
    expect(be.memoryStats.memory).toBeGreaterThan(24 << 20);
    expect(await be.read(a)).toEqual(Float32Array.of(1, 2, 3, 4));
    be.write(a, Float32Array.of(9), 2);
    expect(await be.read(a)).toEqual(Float32Array.of(1, 2, 9, 4));
    for (const t of big) t.dispose();
    expect(be.memoryStats.live).toBe(live0);
    a.dispose();
    await expect(be.read(a)).rejects.toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    be[Symbol.dispose]();
  });

  it('refuses tensors of another backend, including another WasmCpuBackend instance', async () => {
    const [[, be]] = backends as [[string, WasmCpuBackend]];
    const other = await createWasmCpuBackend();
    const x = be.tensor('f32', [1, 4]);
    for (const foreign of [cpu.tensor('f32', [4, 4]), other.tensor('f32', [4, 4])]) {
      expect(() => be.matmul(be.tensor('f32', [1, 4]), x, foreign)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    other[Symbol.dispose]();
  });

  it('threads: interleaved calls of different chunk counts stay exact (no lost or double-counted chunk)', async () => {
    // Regression: a worker finishing one call must never claim a chunk of the next while it is posted.
    const be = await createWasmCpuBackend({ threads: 2, spinMicros: 0, minParallelWork: 1 });
    const [H, d, cap] = [6, 16, 64];
    const w = be.tensor('q8_0', [96, 64], encode('q8_0', rand(96 * 64, 1)));
    const x = be.tensor('f32', [1, 64], rand(64, 2));
    const o = be.tensor('f32', [1, 96]);
    const view: KvView = {
      k: be.tensor('f32', [H * cap, d], rand(H * cap * d, 3)),
      v: be.tensor('f32', [H * cap, d], rand(H * cap * d, 4)),
      nKvHeads: H,
      headDim: d,
      pageSize: 16,
      pagesPerHead: 4,
      pageTable: Int32Array.from({ length: H * 4 }, (_, i) => i),
      lengths: new Int32Array(H).fill(50),
      positions: Int32Array.from({ length: H * cap }, (_, i) => i % cap),
    };
    const q = be.tensor('f32', [1, H * d], rand(H * d, 5));
    const ao = be.tensor('f32', [1, H * d]);
    const step = async () => {
      be.matmul(o, x, w);
      be.attention(ao, q, Int32Array.of(60), view, { nHeads: H, scale: 0.25 });
      return [await be.read(o), await be.read(ao)];
    };
    const [wantO, wantA] = await step();
    const until = performance.now() + 1500;
    while (performance.now() < until) {
      const [gotO, gotA] = await step();
      expect(maxAbsDiff(gotO!, wantO!)).toBe(0);
      expect(maxAbsDiff(gotA!, wantA!)).toBe(0);
    }
    be[Symbol.dispose]();
  });

  it('activationPrecision int16: quantised GEMV within 2^-16 of the block maxima, faster path', async () => {
    const fast = await createWasmCpuBackend({ activationPrecision: 'int16' });
    for (const dtype of ['q8_0', 'q4_0'] as const) {
      const got = await run(fast, dtype, 1, 300, 1024);
      const want = await run(cpu, dtype, 1, 300, 1024);
      const d = maxAbsDiff(got, want);
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThan(1e-4);
    }
    fast[Symbol.dispose]();
    await expect(createWasmCpuBackend({ activationPrecision: 'int8' as 'exact' })).rejects.toThrow(KvkitError);
  });

  it('rejects bad thread counts', async () => {
    await expect(createWasmCpuBackend({ threads: 0 })).rejects.toThrow(KvkitError);
    await expect(createWasmCpuBackend({ threads: 1.5 })).rejects.toThrow(KvkitError);
  });
});
