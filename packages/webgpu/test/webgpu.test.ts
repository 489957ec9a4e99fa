// What the conformance suite does not cover: weights split over several buffers, in-place ops
// (WebGPU forbids writable aliasing), compile errors with WGSL line numbers, compile de-duplication,
// device loss and disposal, batching into one submit, rows of any format in kvMove.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DType, Tensor } from '@kvkit/tensor';
import { CpuBackend, encode, KvkitError } from '@kvkit/tensor';
import { expectKvkitError, randomF32, Rng, setup } from '@kvkit/test-utils';
import type { KernelSpec, WebGPUBackend } from '../src/index.js';
import { createWebGPUBackend, PipelineCache } from '../src/index.js';
import { matmulKind } from '../src/webgpu-backend.js';
import { probeNodeGpu, skipSuite } from './gpu.js';

setup();
const probe = await probeNodeGpu();
if (!probe.gpu) skipSuite('webgpu backend specifics', probe.reason);
else {
  const gpu = probe.gpu;
  describe('webgpu backend specifics', () => {
    let be: WebGPUBackend;
    const cpu = new CpuBackend();
    beforeAll(async () => {
      be = await createWebGPUBackend({ gpu });
    });
    afterAll(() => be?.dispose());

    it('splits weights larger than a buffer by rows; matmul and embed read them chunk by chunk', async () => {
      // 1 KiB buffers: a [40, 64] f32 weight (10 KiB) is split into 10+ chunks; a q4_0 row of 64 is 36 bytes.
      using small = await createWebGPUBackend({ gpu, maxBufferBytes: 1024 });
      const rng = new Rng(1);
      for (const dtype of ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as DType[]) {
        const [n, k] = [40, 64];
        const wBytes = encode(dtype, randomF32(rng, n * k, { scale: 0.125 }));
        for (const m of [1, 3]) {
          const x = randomF32(rng, m * k);
          const results: Float32Array[] = [];
          for (const b of [small, cpu]) {
            const w = b.tensor(dtype, [n, k], wBytes);
            const out = b.tensor('f32', [m, n]);
            b.matmul(out, b.tensor('f32', [m, k], x), w);
            results.push(await b.read(out));
          }
          expect(results[0], `${dtype} m=${m}`).toBeAllclose(results[1]!, { atol: 1e-5, rtol: 1e-5 });
        }
        const table = small.tensor(dtype, [n, k], wBytes);
        expect((table as unknown as { chunks: unknown[] }).chunks.length).toBeGreaterThan(1);
        const out = small.tensor('f32', [3, k]);
        small.embed(out, table, Int32Array.of(39, 0, 17));
        const ref = cpu.tensor('f32', [3, k]);
        cpu.embed(ref, cpu.tensor(dtype, [n, k], wBytes), Int32Array.of(39, 0, 17));
        expect(await small.read(out)).toEqual(await cpu.read(ref));
        expect(await small.read(table)).toEqual(await cpu.read(cpu.tensor(dtype, [n, k], wBytes)));
      }
      // A row that fits no buffer, and an activation that would need splitting: DEVICE_LIMIT.
      expectKvkitError(() => small.tensor('f32', [2, 1000]), 'DEVICE_LIMIT');
      const big = small.tensor('f32', [40, 64]);
      expectKvkitError(() => small.add(big, big, big), 'DEVICE_LIMIT');
    });

    it('covers every matmul kernel (per-output, workgroup GEMV, tiled GEMM) against the CPU', async () => {
      const rng = new Rng(2);
      const shapes = [
        [1, 30, 1024],
        [2, 8, 64],
        [40, 70, 96],
      ] as const;
      expect(shapes.map(([m, n, k]) => matmulKind(m, n, k))).toEqual(['gemv', 'rows', 'gemm']);
      for (const dtype of ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as DType[]) {
        for (const [m, n, k] of shapes) {
          const x = randomF32(rng, m * k);
          const w = encode(dtype, randomF32(rng, n * k, { scale: 1 / Math.sqrt(k) }));
          const r: Float32Array[] = [];
          for (const b of [be, cpu]) {
            const out = b.tensor('f32', [m, n]);
            b.matmul(out, b.tensor('f32', [m, k], x), b.tensor(dtype, [n, k], w));
            r.push(await b.read(out));
          }
          expect(r[0], `${dtype} ${m}x${n}x${k}`).toBeAllclose(r[1]!, { atol: 2e-5, rtol: 2e-5 });
        }
      }
    });

    it('runs in-place ops (out aliasing an input) and overlapping copies like the CPU backend', async () => {
      const rng = new Rng(3);
      const a = randomF32(rng, 300);
      const b = randomF32(rng, 300);
      const w = randomF32(rng, 100);
      const run = async (bk: typeof cpu | WebGPUBackend) => {
        const x = bk.tensor('f32', [3, 100], a);
        const y = bk.tensor('f32', [3, 100], b);
        bk.add(x, x, y);
        bk.add(y, x, y);
        bk.siluMul(y, y, x);
        bk.siluMul(x, y, x);
        bk.add(x, x, x);
        bk.rmsnorm(x, x, bk.tensor('f32', [100], w), 1e-5);
        bk.copy(x, x, 150, 10, 60); // overlapping, forwards
        bk.copy(x, x, 100, 120, 20); // overlapping, backwards
        bk.copy(y, x, 50, 0, 250);
        return [await bk.read(x), await bk.read(y)];
      };
      const [g, c] = [await run(be), await run(cpu)];
      expect(g[0]).toBeAllclose(c[0]!, { atol: 1e-6, rtol: 1e-5 });
      expect(g[1]).toBeAllclose(c[1]!, { atol: 1e-6, rtol: 1e-5 });
    });

    it('moves rows of any byte width in order (kvMove of u8 rows of 14 bytes and f32 rows)', async () => {
      const rng = new Rng(4);
      for (const [dtype, cols] of [
        ['u8', 14],
        ['f32', 6],
      ] as const) {
        const bytes = dtype === 'u8' ? Uint8Array.from({ length: 20 * cols }, () => rng.int(256)) : encode('f32', randomF32(rng, 20 * cols));
        const [from, to] = [Int32Array.of(5, 6, 9, 1, 2), Int32Array.of(2, 3, 4, 2, 3)];
        const r: Float32Array[] = [];
        for (const b of [be, cpu]) {
          const [k, v] = [b.tensor(dtype, [20, cols], bytes), b.tensor(dtype, [20, cols], bytes.slice().reverse())];
          b.kvMove(k, v, from, to);
          r.push(await b.read(k), await b.read(v));
        }
        expect(r[0]).toEqual(r[2]);
        expect(r[1]).toEqual(r[3]);
      }
    });

    it('keeps the last of several kvWrites to one slot, as the sequential CPU loop does', async () => {
      const rng = new Rng(5);
      const [newK, newV] = [randomF32(rng, 3 * 8), randomF32(rng, 3 * 8)];
      const slots = Int32Array.of(4, 9, 4);
      const r: Float32Array[] = [];
      for (const b of [be, cpu]) {
        const [k, v] = [b.tensor('f32', [12, 8]), b.tensor('f32', [12, 8])];
        b.kvWrite(k, v, slots, b.tensor('f32', [3, 8], newK), b.tensor('f32', [3, 8], newV));
        r.push(await b.read(k), await b.read(v));
      }
      expect(r[0]).toEqual(r[2]);
      expect(r[1]).toEqual(r[3]);
    });

    it('batches ops into one submit per read', async () => {
      const x = be.tensor('f32', [64], randomF32(new Rng(6), 64));
      const before = be.counters.submits;
      for (let i = 0; i < 50; i++) be.add(x, x, x);
      be.write(x, Float32Array.of(1, 2), 3);
      for (let i = 0; i < 50; i++) be.softmax(x);
      expect(be.counters.submits).toBe(before);
      await be.read(x);
      expect(be.counters.submits).toBe(before + 1);
    });

    it('reports WGSL compile errors with line numbers as ShaderCompileError, and shares compiles in flight', async () => {
      // A backend of its own: the broken shader also raises an uncaptured error on its device.
      using own = await createWebGPUBackend({ gpu });
      const cache = new PipelineCache(own.device);
      const bad: KernelSpec = {
        key: 'broken',
        code: '@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n@compute @workgroup_size(1)\nfn main() {\n  out[0] = undefined_name;\n}\n',
        bindings: ['rw'],
        params: [],
        workgroupSize: 1,
      };
      const error = await cache.prepare(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KvkitError);
      expect((error as KvkitError).code).toBe('SHADER_COMPILE');
      expect((error as Error).message).toMatch(/line 4:\d+: .*undefined_name/);
      expect((error as Error).message).toContain("out[0] = undefined_name;");
      const good: KernelSpec = { ...bad, key: 'good', code: bad.code.replace('undefined_name', '1.0') };
      const [p1, p2] = [cache.prepare(good), cache.prepare(good)];
      expect(p1).toBe(p2);
      expect(await p1).toBe(cache.get(good));
      expect(cache.size).toBe(1);
    });

    it('prepare() compiles the kernels of a model ahead of the first token', async () => {
      await be.prepare({ headDim: 8, weightDTypes: ['f32', 'q8_0'] });
      expect(be.counters.pipelines).toBeGreaterThan(15);
    });

    it('turns device loss into DEVICE_LOST, and use after dispose into DISPOSED', async () => {
      const lost = await createWebGPUBackend({ gpu });
      const t = lost.tensor('f32', [4]);
      lost.device.destroy();
      await lost.device.lost; // the backend's handler was attached first and has run
      expectKvkitError(() => lost.add(t, t, t), 'DEVICE_LOST');
      await expect(lost.read(t)).rejects.toMatchObject({ code: 'DEVICE_LOST' });
      lost.dispose();

      const gone = await createWebGPUBackend({ gpu });
      const u: Tensor = gone.tensor('f32', [4]);
      u.dispose();
      expectKvkitError(() => gone.add(u, u, u), 'DISPOSED');
      gone[Symbol.dispose]();
      expectKvkitError(() => gone.tensor('f32', [4]), 'DISPOSED');
    });
  });
}
