// The backend conformance suite: every op of the Backend contract against the float64 references,
// on seeded random inputs. A backend package calls runBackendConformance from one test file.
import type { AttentionOptions, Backend, DType, KvView, RopeLayout, Tensor } from '@kvkit/tensor';
import { DTYPES as ALL_DTYPES, decode, encode, KvkitError } from '@kvkit/tensor';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AllcloseOptions } from './allclose.js';
import { setup } from './allclose.js';
import * as ref from './reference/ops.js';
import type { RandomViewSpec } from './random-view.js';
import { randomKvView, scatteredPositions } from './random-view.js';
import { randomF32, Rng } from './rng.js';

/** Weight dtypes (u8 is raw bytes of quantised KV pages, not a weight format). */
type WeightDType = Exclude<DType, 'u8'>;
const DTYPES = ALL_DTYPES.filter((d): d is WeightDType => d !== 'u8');

/**
 * Tolerances of the suite, in one place. Inputs are built so that outputs are of unit scale
 * (matmul weights ~ N(0, 1/k)), so atol is an error relative to that scale. Weights are compared
 * against the float64 product of their *dequantised* values: the tolerance covers only f32
 * accumulation, for every dtype (quantisation error itself is ~1e-3 to 1e-1, far above these).
 */
export const TOLERANCES = {
  matmul: {
    f32: { atol: 1e-5, rtol: 1e-5 },
    f16: { atol: 1e-5, rtol: 1e-5 },
    bf16: { atol: 1e-5, rtol: 1e-5 },
    // Block kernels sum q * x before scaling by d: partial sums ~127 * sqrt(32) times larger.
    q8_0: { atol: 2e-5, rtol: 2e-5 },
    q4_0: { atol: 2e-5, rtol: 2e-5 },
  } satisfies Record<WeightDType, AllcloseOptions>,
  /** Copies and decodes (embed, kvWrite, kvMove, read): q * d of a block fits f32 exactly. */
  exact: { atol: 0, rtol: 0 },
  /** One f32 addition: within an ulp of the exact sum (half an ulp when correctly rounded). */
  add: { atol: 0, rtol: 2 ** -23 },
  rmsnorm: { atol: 1e-6, rtol: 1e-5 },
  siluMul: { atol: 1e-6, rtol: 1e-5 },
  softmax: { atol: 1e-7, rtol: 1e-5 },
  /**
   * Rotary embedding of inputs in [-1, 1] at positions up to `maxPosition`: an f32 angle pos * freq
   * is only good to ~pos * 2^-23 rad (rounding of freq, of the product, of cos/sin), so the error
   * grows with the position: 2.5e-5 at 100, 1e-3 at 4095. WGSL's sin/cos need range reduction (or
   * host-computed tables) to meet it.
   */
  rope: (maxPosition: number): AllcloseOptions => ({ atol: 1e-6 + maxPosition * 2 ** -22, rtol: 0 }),
  /** Outputs are convex combinations of unit-scale V rows. */
  attention: { atol: 2e-5, rtol: 1e-4 },
  /** Probabilities (each <= 1) summed over at most a few queries. */
  attentionStats: { atol: 1e-6, rtol: 1e-5 },
} as const;

/** Expect `fn` to throw a KvkitError with this `code` (synchronously, before any work is queued). */
export function expectKvkitError(fn: () => unknown, code: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a KvkitError with code ${code}`).toBeInstanceOf(KvkitError);
  expect((error as KvkitError).code).toBe(code);
}

interface AttentionCase {
  readonly name: string;
  readonly nHeads: number;
  readonly view: RandomViewSpec;
  readonly queryPositions: readonly number[];
  readonly scale?: number;
  readonly slidingWindow?: number;
}

const ATTENTION_CASES: readonly AttentionCase[] = [
  {
    name: 'contiguous view, one page per head, decode',
    nHeads: 2,
    view: { nKvHeads: 2, headDim: 16, pageSize: 64, pagesPerHead: 1, lengths: [50, 50], shuffle: false },
    queryPositions: [49],
  },
  {
    name: 'contiguous run of pages per head, decode',
    nHeads: 2,
    view: { nKvHeads: 2, headDim: 16, pageSize: 16, pagesPerHead: 4, lengths: [61, 61], shuffle: false },
    queryPositions: [70],
  },
  {
    name: 'shuffled pages, ragged lengths per KV head',
    nHeads: 4,
    view: { nKvHeads: 4, headDim: 8, pageSize: 4, pagesPerHead: 8, lengths: [29, 3, 32, 1] },
    queryPositions: [40],
  },
  {
    name: 'GQA (8 query heads over 2 KV heads)',
    nHeads: 8,
    view: { nKvHeads: 2, headDim: 32, pageSize: 8, pagesPerHead: 6, lengths: [45, 38] },
    queryPositions: [45],
  },
  {
    name: 'MQA (4 query heads over 1 KV head)',
    nHeads: 4,
    view: { nKvHeads: 1, headDim: 64, pageSize: 16, pagesPerHead: 3, lengths: [40] },
    queryPositions: [39],
  },
  {
    name: 'prefill of 9 queries with the causal mask',
    nHeads: 4,
    view: { nKvHeads: 2, headDim: 16, pageSize: 8, pagesPerHead: 4, lengths: [27, 27] },
    queryPositions: [18, 19, 20, 21, 22, 23, 24, 25, 26],
  },
  {
    name: 'positions with gaps in out-of-order slots',
    nHeads: 4,
    view: {
      nKvHeads: 2,
      headDim: 16,
      pageSize: 4,
      pagesPerHead: 8,
      lengths: [20, 13],
      positions: (_kh, len, rng) => scatteredPositions(rng, len, 100),
    },
    queryPositions: [50, 75, 99, 120],
  },
  {
    name: 'sliding window of 7 over a prefill',
    nHeads: 4,
    view: { nKvHeads: 2, headDim: 16, pageSize: 8, pagesPerHead: 5, lengths: [40, 40] },
    queryPositions: [34, 35, 36, 37, 38, 39],
    slidingWindow: 7,
  },
  {
    name: 'sliding window of 1 (a query sees only itself)',
    nHeads: 2,
    view: { nKvHeads: 2, headDim: 8, pageSize: 8, pagesPerHead: 2, lengths: [12, 12] },
    queryPositions: [11],
    slidingWindow: 1,
  },
  {
    name: 'custom scale, head dim 12, pages of 5 slots',
    nHeads: 3,
    view: { nKvHeads: 3, headDim: 12, pageSize: 5, pagesPerHead: 3, lengths: [11, 15, 7] },
    queryPositions: [14, 15],
    scale: 0.37,
  },
];

/**
 * Declare a vitest suite checking every op of `Backend` against the float64 references. Call it
 * at the top level of a test file, or inside a `describe` per backend.
 */
export function runBackendConformance(name: string, makeBackend: () => Backend | Promise<Backend>): void {
  setup();
  describe(`backend conformance: ${name}`, () => {
    let be: Backend;
    const live: Tensor[] = [];
    beforeAll(async () => {
      be = await makeBackend();
    });
    afterEach(() => {
      for (const t of live.splice(0)) t.dispose();
    });
    afterAll(() => be?.[Symbol.dispose]());

    /** A tensor disposed after the test; f32 data is copied, so the host array stays the reference. */
    const tensor = (dtype: DType, shape: readonly number[], data?: Uint8Array | Float32Array): Tensor => {
      const t = be.tensor(dtype, shape, data?.slice());
      live.push(t);
      return t;
    };
    /** An f32 output pre-filled with NaN, so an op must overwrite every element. */
    const output = (shape: readonly number[]): Tensor => tensor('f32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(NaN));
    const dequantised = (dtype: DType, values: Float32Array): Float32Array => decode(dtype, encode(dtype, values), values.length);

    describe('tensors', () => {
      it('tensor() without data is zero-filled and reports dtype, shape and backend', async () => {
        const t = tensor('f32', [3, 5]);
        expect(t.dtype).toBe('f32');
        expect(t.shape).toEqual([3, 5]);
        expect(t.backend).toBe(be.name);
        expect(await be.read(t)).toEqual(new Float32Array(15));
      });

      for (const dtype of DTYPES) {
        it(`read() decodes a ${dtype} tensor to f32`, async () => {
          const values = randomF32(new Rng(11), 3 * 64);
          const bytes = encode(dtype, values);
          const t = tensor(dtype, [3, 64], bytes);
          expect(t.byteLength).toBe(bytes.byteLength);
          expect(await be.read(t)).toBeAllclose(decode(dtype, bytes, values.length), TOLERANCES.exact);
        });
      }

      it('write() overwrites f32 elements from an offset', async () => {
        const values = randomF32(new Rng(12), 20);
        const t = tensor('f32', [4, 5], values);
        be.write(t, Float32Array.of(1, 2, 3), 7);
        const expected = values.slice();
        expected.set([1, 2, 3], 7);
        expect(await be.read(t)).toBeAllclose(expected, TOLERANCES.exact);
      });

      it('refuses a quantised tensor whose rows are not whole blocks', () => {
        // [2, 16] holds one 32-value block, but blocks run along the last dim: no row is whole.
        for (const dtype of ['q8_0', 'q4_0'] as const) {
          let error: unknown;
          try {
            be.tensor(dtype, [2, 16], encode(dtype, new Float32Array(32)));
          } catch (e) {
            error = e;
          }
          expect(error, dtype).toBeInstanceOf(KvkitError);
          expect(['SHAPE_MISMATCH', 'INVALID_ARGUMENT']).toContain((error as KvkitError).code);
        }
      });
    });

    describe('matmul', () => {
      const shapes = [
        [1, 1, 1],
        [1, 13, 7],
        [3, 5, 33],
        [1, 9, 32],
        [1, 64, 96],
        [1, 48, 1024],
        [4, 33, 64],
        [17, 40, 288],
      ] as const;
      const cases = DTYPES.flatMap((dtype) =>
        shapes.filter(([, , k]) => dtype === 'f32' || dtype === 'f16' || dtype === 'bf16' || k % 32 === 0).map(([m, n, k]) => ({ dtype, m, n, k })),
      );
      for (const { dtype, m, n, k } of cases) {
        it(`${dtype} weights, m=${m} n=${n} k=${k}`, async () => {
          const rng = new Rng(100 + m * 7 + n * 13 + k);
          const x = randomF32(rng, m * k);
          const w = randomF32(rng, n * k, { scale: 1 / Math.sqrt(k) });
          const out = output([m, n]);
          be.matmul(out, tensor('f32', [m, k], x), tensor(dtype, [n, k], encode(dtype, w)));
          const expected = ref.matmul(x, dequantised(dtype, w), m, n, k);
          expect(await be.read(out)).toBeAllclose(expected, { ...TOLERANCES.matmul[dtype], shape: [m, n] });
        });
      }
    });

    describe('embed', () => {
      for (const dtype of DTYPES) {
        it(`${dtype} table`, async () => {
          const [vocab, dim] = [37, 64];
          const table = randomF32(new Rng(200), vocab * dim);
          const t = tensor(dtype, [vocab, dim], encode(dtype, table));
          for (const tokens of [Int32Array.of(36), Int32Array.of(0, 36, 5, 5, 17)]) {
            const out = output([tokens.length, dim]);
            be.embed(out, t, tokens);
            expect(await be.read(out)).toBeAllclose(ref.embed(dequantised(dtype, table), dim, tokens), TOLERANCES.exact);
          }
        });
      }
    });

    describe('rmsnorm', () => {
      const cases = [
        { m: 1, d: 64, scale: 1 },
        { m: 3, d: 7, scale: 1 },
        { m: 5, d: 288, scale: 1 },
        { m: 2, d: 1024, scale: 1 },
        { m: 2, d: 64, scale: 1e-3 }, // mean square ~ eps: eps matters
        { m: 2, d: 64, scale: 1e3 },
      ];
      for (const { m, d, scale } of cases) {
        it(`m=${m} d=${d}, inputs of scale ${scale}`, async () => {
          const rng = new Rng(300 + d);
          const x = randomF32(rng, m * d, { scale });
          const w = randomF32(rng, d, { dist: 'uniform', offset: 1, scale: 0.5 });
          const out = output([m, d]);
          be.rmsnorm(out, tensor('f32', [m, d], x), tensor('f32', [d], w), 1e-5);
          expect(await be.read(out)).toBeAllclose(ref.rmsnorm(x, w, 1e-5), { ...TOLERANCES.rmsnorm, shape: [m, d] });
        });
      }
    });

    describe('rope', () => {
      const layouts: RopeLayout[] = ['adjacent', 'half'];
      const cases = layouts.flatMap((layout) => [
        { layout, nHeads: 3, headDim: 8, theta: 10000, positions: [0, 1, 2, 31] },
        { layout, nHeads: 2, headDim: 128, theta: 500000, positions: [0, 5, 63, 100] },
        { layout, nHeads: 2, headDim: 64, theta: 10000, positions: [4000, 3071, 2048, 4095, 1] },
      ]);
      for (const { positions, ...opts } of cases) {
        it(`${opts.layout} layout, ${opts.nHeads} heads of ${opts.headDim}, theta ${opts.theta}, positions ${positions.join(' ')}`, async () => {
          const m = positions.length;
          const width = opts.nHeads * opts.headDim;
          const x = randomF32(new Rng(400 + opts.headDim), m * width, { dist: 'uniform' });
          const t = tensor('f32', [m, width], x);
          be.rope(t, Int32Array.from(positions), opts);
          const tol = TOLERANCES.rope(Math.max(...positions));
          expect(await be.read(t)).toBeAllclose(ref.rope(x, positions, opts), { ...tol, shape: [m, width] });
        });
      }
    });

    describe('elementwise', () => {
      const sizes = [1, 7, 1000];
      for (const n of sizes) {
        it(`siluMul of ${n} elements`, async () => {
          const rng = new Rng(500 + n);
          const gate = randomF32(rng, n, { scale: 3 });
          if (n >= 7) gate.set([-100, -20, -1e-3, 0, 1e-3, 20, 100]);
          const up = randomF32(rng, n);
          const out = output([n]);
          be.siluMul(out, tensor('f32', [n], gate), tensor('f32', [n], up));
          expect(await be.read(out)).toBeAllclose(ref.siluMul(gate, up), TOLERANCES.siluMul);
        });

        it(`add of ${n} elements`, async () => {
          const rng = new Rng(600 + n);
          const a = randomF32(rng, n);
          const b = randomF32(rng, n, { scale: 10 });
          const out = output([n]);
          be.add(out, tensor('f32', [n], a), tensor('f32', [n], b));
          expect(await be.read(out)).toBeAllclose(ref.add(a, b), TOLERANCES.add);
        });
      }

      const softmaxCases = [
        { name: 'one element', m: 1, d: 1, fill: (_x: Float32Array) => {} },
        { name: 'odd rows', m: 3, d: 17, fill: (_x: Float32Array) => {} },
        { name: 'long rows', m: 2, d: 512, fill: (_x: Float32Array) => {} },
        // exp(1000) overflows f32 and f64: a kernel must subtract the row max.
        { name: 'large values', m: 2, d: 33, fill: (x: Float32Array) => x.forEach((v, i) => (x[i] = (i < 33 ? 1000 : -1000) + 10 * v)) },
        { name: 'a -Infinity entry', m: 1, d: 9, fill: (x: Float32Array) => (x[4] = -Infinity) },
      ];
      for (const { name, m, d, fill } of softmaxCases) {
        it(`softmax: ${name}`, async () => {
          const x = randomF32(new Rng(700 + d), m * d, { scale: 3 });
          fill(x);
          const t = tensor('f32', [m, d], x);
          be.softmax(t);
          expect(await be.read(t)).toBeAllclose(ref.softmax(x, d), { ...TOLERANCES.softmax, shape: [m, d] });
        });
      }
    });

    describe('kv cache', () => {
      const [poolSlots, d, nKv] = [40, 8, 3];
      const pools = (rng: Rng): [Float32Array, Float32Array] => [randomF32(rng, poolSlots * d), randomF32(rng, poolSlots * d)];

      for (const m of [1, 4]) {
        it(`kvWrite of ${m} tokens of ${nKv} KV heads to scattered slots`, async () => {
          const rng = new Rng(800 + m);
          const [k0, v0] = pools(rng);
          const newK = randomF32(rng, m * nKv * d);
          const newV = randomF32(rng, m * nKv * d);
          const slots = Int32Array.from(rng.shuffle(Array.from({ length: poolSlots }, (_, s) => s)).slice(0, m * nKv));
          const [k, v] = [tensor('f32', [poolSlots, d], k0), tensor('f32', [poolSlots, d], v0)];
          be.kvWrite(k, v, slots, tensor('f32', [m, nKv * d], newK), tensor('f32', [m, nKv * d], newV));
          const expected = ref.kvWrite(k0, v0, d, slots, newK, newV);
          expect(await be.read(k)).toBeAllclose(expected.k, TOLERANCES.exact);
          expect(await be.read(v)).toBeAllclose(expected.v, TOLERANCES.exact);
        });
      }

      const moves = [
        { name: 'compaction (down into evicted slots)', from: [5, 6, 9, 12, 13], to: [2, 3, 4, 5, 6] },
        { name: 'in order: a later move reads an earlier target', from: [1, 2, 30], to: [2, 3, 30] },
        { name: 'no moves', from: [], to: [] },
      ];
      for (const { name, from, to } of moves) {
        it(`kvMove: ${name}`, async () => {
          const [k0, v0] = pools(new Rng(900 + from.length));
          const [k, v] = [tensor('f32', [poolSlots, d], k0), tensor('f32', [poolSlots, d], v0)];
          be.kvMove(k, v, Int32Array.from(from), Int32Array.from(to));
          const expected = ref.kvMove(k0, v0, d, from, to);
          expect(await be.read(k)).toBeAllclose(expected.k, TOLERANCES.exact);
          expect(await be.read(v)).toBeAllclose(expected.v, TOLERANCES.exact);
        });
      }
    });

    describe('attention', () => {
      /** Upload a random host view; returns the backend view and the host one for the reference. */
      const makeView = (rng: Rng, spec: RandomViewSpec) => {
        const host = randomKvView(rng, spec);
        const shape = [host.poolSlots, host.headDim];
        const view: KvView = { ...host, k: tensor('f32', shape, host.k), v: tensor('f32', shape, host.v) };
        return { host, view };
      };

      ATTENTION_CASES.forEach((c, i) => {
        it(c.name, async () => {
          const rng = new Rng(1000 + i);
          const { host, view } = makeView(rng, c.view);
          const m = c.queryPositions.length;
          const width = c.nHeads * c.view.headDim;
          const q = randomF32(rng, m * width);
          const out = output([m, width]);
          const opts: AttentionOptions = {
            nHeads: c.nHeads,
            scale: c.scale ?? 1 / Math.sqrt(c.view.headDim),
            ...(c.slidingWindow === undefined ? {} : { slidingWindow: c.slidingWindow }),
          };
          be.attention(out, tensor('f32', [m, width], q), Int32Array.from(c.queryPositions), view, opts);
          const expected = ref.attention(q, c.queryPositions, host, opts);
          expect(await be.read(out)).toBeAllclose(expected.out, { ...TOLERANCES.attention, shape: [m, width] });
        });
      });

      const statsView: RandomViewSpec = {
        nKvHeads: 2,
        headDim: 16,
        pageSize: 4,
        pagesPerHead: 6,
        lengths: [23, 17],
        positions: (_kh, len, rng) => scatteredPositions(rng, len, 30),
      };
      const statsCap = statsView.pagesPerHead * statsView.pageSize;
      /** A seeded random view of statsView and the query width for `nHeads` heads (the rng continues for the queries). */
      const statsCase = (seed: number, nHeads: number) => {
        const rng = new Rng(seed);
        return { rng, ...makeView(rng, statsView), cap: statsCap, width: nHeads * statsView.headDim };
      };

      it('columnSums accumulate over two calls; windowSums are overwritten with the last `window` queries', async () => {
        const nHeads = 4;
        const { rng, host, view, cap, width } = statsCase(1100, nHeads);
        const col0 = randomF32(rng, nHeads * cap, { dist: 'uniform', offset: 1 });
        const columnSums = tensor('f32', [nHeads, cap], col0);
        const windowSums = tensor('f32', [nHeads, cap], new Float32Array(nHeads * cap).fill(5));
        const calls = [
          { positions: [26, 27, 28, 29, 30], window: 2 },
          { positions: [31], window: 3 }, // window > m: every query
        ];
        const expectedCols = Float64Array.from(col0);
        for (const { positions, window } of calls) {
          const m = positions.length;
          const q = randomF32(rng, m * width);
          const opts = { nHeads, scale: 0.25, stats: { columnSums, windowSums, window } };
          be.attention(output([m, width]), tensor('f32', [m, width], q), Int32Array.from(positions), view, opts);
          const expected = ref.attention(q, positions, host, { nHeads, scale: 0.25, window });
          expected.columnSums.forEach((p, i) => (expectedCols[i] += p));
          expect(await be.read(windowSums), `windowSums, window ${window}`).toBeAllclose(expected.windowSums, {
            ...TOLERANCES.attentionStats,
            shape: [nHeads, cap],
          });
          expect(await be.read(columnSums), 'columnSums').toBeAllclose(expectedCols, { ...TOLERANCES.attentionStats, shape: [nHeads, cap] });
        }
      });

      it('columnSums alone (as H2O asks for them) accumulate over calls, with GQA and a sliding window', async () => {
        const nHeads = 8;
        const { rng, host, view, cap, width } = statsCase(1150, nHeads);
        const col0 = randomF32(rng, nHeads * cap, { dist: 'uniform', offset: 1 });
        const columnSums = tensor('f32', [nHeads, cap], col0);
        const expectedCols = Float64Array.from(col0);
        for (const positions of [[27, 28, 29], [31]]) {
          const q = randomF32(rng, positions.length * width);
          const opts = { nHeads, scale: 0.25, slidingWindow: 12 };
          be.attention(output([positions.length, width]), tensor('f32', [positions.length, width], q), Int32Array.from(positions), view, { ...opts, stats: { columnSums } });
          ref.attention(q, positions, host, { ...opts, window: 1 }).columnSums.forEach((p, i) => (expectedCols[i] += p));
          expect(await be.read(columnSums), `after ${positions.join(',')}`).toBeAllclose(expectedCols, { ...TOLERANCES.attentionStats, shape: [nHeads, cap] });
        }
      });

      it('stats respect the sliding window and GQA head mapping', async () => {
        const nHeads = 8;
        const { rng, host, view, cap, width } = statsCase(1200, nHeads);
        const positions = [27, 28, 29];
        const q = randomF32(rng, positions.length * width);
        const columnSums = tensor('f32', [nHeads, cap]);
        const windowSums = tensor('f32', [nHeads, cap]);
        const opts = { nHeads, scale: 0.25, slidingWindow: 9 };
        be.attention(output([3, width]), tensor('f32', [3, width], q), Int32Array.from(positions), view, {
          ...opts,
          stats: { columnSums, windowSums, window: 1 },
        });
        const expected = ref.attention(q, positions, host, { ...opts, window: 1 });
        expect(await be.read(columnSums)).toBeAllclose(expected.columnSums, { ...TOLERANCES.attentionStats, shape: [nHeads, cap] });
        expect(await be.read(windowSums)).toBeAllclose(expected.windowSums, { ...TOLERANCES.attentionStats, shape: [nHeads, cap] });
      });
      it('window statistics alone (what SnapKV asks for) come with the same outputs', async () => {
        const rng = new Rng(1300);
        const nHeads = 4;
        const { host, view } = makeView(rng, statsView);
        const cap = statsView.pagesPerHead * statsView.pageSize;
        const width = nHeads * statsView.headDim;
        const positions = [24, 25, 26, 27, 28, 29, 30];
        const m = positions.length;
        const q = randomF32(rng, m * width);
        const out = output([m, width]);
        const windowSums = tensor('f32', [nHeads, cap], new Float32Array(nHeads * cap).fill(3));
        const opts = { nHeads, scale: 0.25, slidingWindow: 12 };
        be.attention(out, tensor('f32', [m, width], q), Int32Array.from(positions), view, { ...opts, stats: { windowSums, window: 3 } });
        const expected = ref.attention(q, positions, host, { ...opts, window: 3 });
        expect(await be.read(out)).toBeAllclose(expected.out, { ...TOLERANCES.attention, shape: [m, width] });
        expect(await be.read(windowSums)).toBeAllclose(expected.windowSums, { ...TOLERANCES.attentionStats, shape: [nHeads, cap] });
      });
    });

    describe('shape errors throw KvkitError SHAPE_MISMATCH', () => {
      const f32 = (...shape: number[]) => tensor('f32', shape);
      const rope = { nHeads: 2, headDim: 8, theta: 10000, layout: 'adjacent' as const };
      const cases: { name: string; run: () => unknown }[] = [
        { name: 'tensor() with the wrong byte count', run: () => be.tensor('f32', [2, 3], new Float32Array(5)) },
        { name: 'write() past the end', run: () => be.write(f32(4), new Float32Array(3), 2) },
        { name: 'matmul with k mismatch', run: () => be.matmul(f32(2, 4), f32(2, 16), f32(4, 8)) },
        { name: 'matmul into the wrong output shape', run: () => be.matmul(f32(2, 5), f32(2, 8), f32(4, 8)) },
        { name: 'embed into the wrong output size', run: () => be.embed(f32(3, 8), f32(10, 8), Int32Array.of(1, 2)) },
        { name: 'rmsnorm with a weight of the wrong length', run: () => be.rmsnorm(f32(2, 8), f32(2, 8), f32(7), 1e-5) },
        { name: 'rope with one position per row missing', run: () => be.rope(f32(3, 16), Int32Array.of(0, 1), rope) },
        { name: 'rope with a width other than nHeads * headDim', run: () => be.rope(f32(1, 24), Int32Array.of(0), rope) },
        { name: 'siluMul of different sizes', run: () => be.siluMul(f32(8), f32(8), f32(7)) },
        { name: 'add of different sizes', run: () => be.add(f32(8), f32(9), f32(8)) },
        { name: 'kvWrite with too few slots', run: () => be.kvWrite(f32(10, 4), f32(10, 4), Int32Array.of(0), f32(1, 8), f32(1, 8)) },
        { name: 'kvMove with from/to of different lengths', run: () => be.kvMove(f32(10, 4), f32(10, 4), Int32Array.of(1, 2), Int32Array.of(0)) },
      ];
      for (const { name, run } of cases) it(name, () => expectKvkitError(run, 'SHAPE_MISMATCH'));

      it('attention with a q width other than nHeads * headDim, or stats of the wrong size', () => {
        const host = randomKvView(new Rng(1300), { nKvHeads: 2, headDim: 8, pageSize: 4, pagesPerHead: 2, lengths: [5, 5] });
        const view: KvView = { ...host, k: tensor('f32', [host.poolSlots, 8], host.k), v: tensor('f32', [host.poolSlots, 8], host.v) };
        const pos = Int32Array.of(5);
        expectKvkitError(() => be.attention(f32(1, 24), f32(1, 24), pos, view, { nHeads: 2, scale: 1 }), 'SHAPE_MISMATCH');
        expectKvkitError(() => be.attention(f32(1, 16), f32(1, 16), Int32Array.of(5, 6), view, { nHeads: 2, scale: 1 }), 'SHAPE_MISMATCH');
        const stats = { columnSums: f32(2, 7) };
        expectKvkitError(() => be.attention(f32(1, 16), f32(1, 16), pos, view, { nHeads: 2, scale: 1, stats }), 'SHAPE_MISMATCH');
      });

      it('attention over pools whose rows are not headDim wide', () => {
        const host = randomKvView(new Rng(1301), { nKvHeads: 2, headDim: 8, pageSize: 4, pagesPerHead: 2, lengths: [5, 5] });
        const narrow = host.k.subarray(0, host.poolSlots * 4);
        const view: KvView = { ...host, k: tensor('f32', [host.poolSlots, 4], narrow), v: tensor('f32', [host.poolSlots, 4], narrow) };
        expectKvkitError(() => be.attention(f32(1, 16), f32(1, 16), Int32Array.of(5), view, { nHeads: 2, scale: 1 }), 'SHAPE_MISMATCH');
      });
    });
  });
}
