// The WASM SIMD kernels, emitted with the assembler in asm.ts. Every pointer is a byte address in the
// backend's one memory. Matmul entry points compute output rows [r0, r1) and attention computes
// query heads [h0, h1), so that threads split one call by rows or heads. Quantised weights are in the
// repacked layout of layout.ts: all codes of the matrix (row-major), then all block scales as f16,
// decoded through a 65536-entry f32 table at `lut`.
//
// Numerics: f32 products and sums (4 lanes x 2 accumulators per row, reduced pairwise at the end);
// quantised blocks are dequantised exactly (q * d fits an f32) inside the dot product and each block
// sum is scaled by its d, as ggml does; activations are never quantised.
import type { FnBuilder, Local } from './asm.js';
import { f32, i32, ModuleBuilder, v128 } from './asm.js';

export interface KernelModuleOptions {
  readonly shared: boolean;
  readonly initialPages: number;
  readonly maximumPages: number;
  /** Kernel variant of quantised GEMV (for experiments; the default is the fastest measured). */
  readonly quantGemv?: QuantGemvVariant;
  /** Weight rows per f32 tile (for experiments). */
  readonly f32Rows?: 1 | 2 | 4;
  /** Two input rows per f32 tile of 4 weight rows (for experiments; default true). */
  readonly f32Pairs?: boolean;
  /** Accumulators of the f32 GEMV (for experiments). */
  readonly f32Accumulators?: 1 | 2 | 4 | 8;
}

export type QuantKind = 'q8_0' | 'q4_0';

/** Matmul entry points share one signature, so the thread pool can call any of them by name. */
export type MatmulFn = (out: number, x: number, w: number, scales: number, m: number, n: number, k: number, r0: number, r1: number, scratch: number, lut: number) => void;
/** Argument positions of the matmul signature the pool fills per thread. */
export const MATMUL_ARGS = { r0: 7, r1: 8, scratch: 9 } as const;

export interface KernelExports {
  matmul_f32: MatmulFn;
  matmul_q8_0: MatmulFn;
  matmul_q4_0: MatmulFn;
  /** rows[j] = byte offset of logical slot j's row: (pageTable[j / pageSize] * pageSize + j % pageSize) * rowBytes. */
  attn_rows: (rows: number, pageTable: number, pageSize: number, len: number, rowBytes: number) => void;
  /** Query heads [h0, h1) of every query row of the attention job at `job` (layout: ATTN_JOB). */
  attn_heads: (job: number, h0: number, h1: number, scratch: number) => void;
  /** out[i] = gate[i] * sigmoid(gate[i]) * up[i] for i < n (out may alias gate or up). */
  silu_mul: (out: number, gate: number, up: number, n: number) => void;
}

/** Argument positions of attn_heads the pool fills per thread. */
export const ATTN_ARGS = { r0: 1, r1: 2, scratch: 3 } as const;

/**
 * The attention job descriptor (i32 words at `job`): per query row the absolute position and the
 * exclusive lower bound of visible positions (sliding window), per KV head its rows, positions and
 * length. Scratch per thread: (cap + 4) f32 scores then d f32 accumulators.
 */
export const ATTN_JOB = {
  out: 0,
  q: 1,
  kPool: 2,
  vPool: 3,
  m: 4,
  nHeads: 5,
  group: 6,
  d: 7,
  scale: 8, // f32 bits
  qPos: 9, // ptr to m i32
  qLo: 10, // ptr to m i32
  headRows: 11, // ptr to nKvHeads i32 (each a ptr to len i32 row offsets)
  headPos: 12, // ptr to nKvHeads i32 (each a ptr to len i32 positions)
  headLen: 13, // ptr to nKvHeads i32
  accOffset: 14, // bytes from the thread's scratch to its d accumulators
  colSums: 15, // ptr to [nHeads, capSlots] f32 column sums (+= each probability), or 0
  capSlots: 16,
  winSums: 17, // ptr to [nHeads, capSlots] f32 window sums (+= the probabilities of rows >= winFrom), or 0
  winFrom: 18,
  words: 19,
} as const;

/** Sum the 4 f32 lanes of a v128 local: (l0 + l1) + (l2 + l3), pushed as an f32. */
function hsum(f: FnBuilder, v: Local): void {
  f.get(v).lane('f32x4.extract_lane', 0).get(v).lane('f32x4.extract_lane', 1).op('f32.add');
  f.get(v).lane('f32x4.extract_lane', 2).get(v).lane('f32x4.extract_lane', 3).op('f32.add');
  f.op('f32.add');
}

/** Push a + b (i32). */
function addr(f: FnBuilder, a: Local, b: Local): void {
  f.get(a).get(b).op('i32.add');
}

/** block { loop { if (!cond) break; body; continue } } */
function whileLoop(f: FnBuilder, cond: () => void, body: () => void): void {
  f.block(() =>
    f.loop(() => {
      cond();
      f.op('i32.eqz').brIf(1);
      body();
      f.br(0);
    }),
  );
}

/**
 * tile_f32_R(out, x, w0, ws, m, n, k, r): out[i, r + t] = x[i, :] · w_t for t < R and i < m, where
 * weight row t is at w0 + t * ws. The R weight rows stay in cache across the m input rows.
 */
function tileF32(mod: ModuleBuilder, R: number): FnBuilder {
  const f = mod.fn(`tile_f32_${R}`, [i32, i32, i32, i32, i32, i32, i32, i32], [], false);
  const [out, x, w0, ws, m, n, k, r] = f.paramLocals as [Local, Local, Local, Local, Local, Local, Local, Local];
  const i = f.local(i32);
  const j = f.local(i32);
  const kb = f.local(i32);
  const kb8 = f.local(i32);
  const xi = f.local(i32);
  const o = f.local(i32);
  const wt = Array.from({ length: R }, () => f.local(i32));
  const a = Array.from({ length: R }, () => f.local(v128));
  const b = Array.from({ length: R }, () => f.local(v128));
  const s = Array.from({ length: R }, () => f.local(f32));
  const xv = f.local(v128);
  const xs = f.local(f32);
  const step = (acc: Local[], offset: number) => {
    addr(f, xi, j);
    f.vmem('v128.load', offset).set(xv);
    for (let t = 0; t < R; t++) {
      f.get(acc[t]!);
      addr(f, wt[t]!, j);
      f.vmem('v128.load', offset).get(xv).simd('f32x4.mul').simd('f32x4.add').set(acc[t]!);
    }
  };
  f.get(k).i32(2).op('i32.shl').set(kb);
  f.get(kb).i32(-32).op('i32.and').set(kb8);
  for (let t = 0; t < R; t++) f.get(w0).get(ws).i32(t).op('i32.mul').op('i32.add').set(wt[t]!);
  f.for(i, 0, m, 1, () => {
    f.get(x).get(i).get(kb).op('i32.mul').op('i32.add').set(xi);
    for (let t = 0; t < R; t++) f.f32x4(0).set(a[t]!).f32x4(0).set(b[t]!);
    // 8 floats per row per iteration, two accumulators per row.
    f.for(j, 0, kb8, 32, () => {
      step(a, 0);
      step(b, 16);
    });
    // One more group of 4 floats.
    f.get(j).i32(16).op('i32.add').get(kb).op('i32.le_s');
    f.if(() => {
      step(a, 0);
      f.inc(j, 16);
    });
    for (let t = 0; t < R; t++) {
      f.get(a[t]!).get(b[t]!).simd('f32x4.add').set(a[t]!);
      hsum(f, a[t]!);
      f.set(s[t]!);
    }
    // Scalar tail: the last k % 4 values.
    f.for(j, j, kb, 4, () => {
      addr(f, xi, j);
      f.mem('f32.load').set(xs);
      for (let t = 0; t < R; t++) {
        f.get(s[t]!);
        addr(f, wt[t]!, j);
        f.mem('f32.load').get(xs).op('f32.mul').op('f32.add').set(s[t]!);
      }
    });
    // out[i * n + r + t]
    f.get(out).get(i).get(n).op('i32.mul').get(r).op('i32.add').i32(2).op('i32.shl').op('i32.add').set(o);
    for (let t = 0; t < R; t++) f.get(o).get(s[t]!).mem('f32.store', 4 * t);
  });
  return f;
}

/**
 * tile_f32_4x2(out, x, w0, ws, m, n, k, r): as tile_f32_4, two input rows at a time (8 accumulators:
 * each weight vector loaded once for both rows); an odd last row goes to tile_f32_4.
 */
function tileF32x2(mod: ModuleBuilder, tile4: FnBuilder): FnBuilder {
  const R = 4;
  const f = mod.fn('tile_f32_4x2', [i32, i32, i32, i32, i32, i32, i32, i32], [], false);
  const [out, x, w0, ws, m, n, k, r] = f.paramLocals as [Local, Local, Local, Local, Local, Local, Local, Local];
  const i = f.local(i32);
  const j = f.local(i32);
  const kb = f.local(i32);
  const kb4 = f.local(i32);
  const x0 = f.local(i32);
  const x1 = f.local(i32);
  const o = f.local(i32);
  const wt = Array.from({ length: R }, () => f.local(i32));
  const acc = Array.from({ length: 2 * R }, () => f.local(v128));
  const s = Array.from({ length: 2 * R }, () => f.local(f32));
  const xv0 = f.local(v128);
  const xv1 = f.local(v128);
  const wv = f.local(v128);
  const xs0 = f.local(f32);
  const xs1 = f.local(f32);
  const ws1 = f.local(f32);
  f.get(k).i32(2).op('i32.shl').set(kb);
  f.get(kb).i32(-16).op('i32.and').set(kb4);
  for (let t = 0; t < R; t++) f.get(w0).get(ws).i32(t).op('i32.mul').op('i32.add').set(wt[t]!);
  f.i32(0).set(i);
  whileLoop(
    f,
    () => f.get(i).i32(2).op('i32.add').get(m).op('i32.le_s'),
    () => {
      f.get(x).get(i).get(kb).op('i32.mul').op('i32.add').tee(x0).get(kb).op('i32.add').set(x1);
      for (const a of acc) f.f32x4(0).set(a);
      f.for(j, 0, kb4, 16, () => {
        addr(f, x0, j);
        f.vmem('v128.load').set(xv0);
        addr(f, x1, j);
        f.vmem('v128.load').set(xv1);
        for (let t = 0; t < R; t++) {
          addr(f, wt[t]!, j);
          f.vmem('v128.load').set(wv);
          f.get(acc[2 * t]!).get(wv).get(xv0).simd('f32x4.mul').simd('f32x4.add').set(acc[2 * t]!);
          f.get(acc[2 * t + 1]!).get(wv).get(xv1).simd('f32x4.mul').simd('f32x4.add').set(acc[2 * t + 1]!);
        }
      });
      for (let a = 0; a < 2 * R; a++) {
        hsum(f, acc[a]!);
        f.set(s[a]!);
      }
      f.for(j, j, kb, 4, () => {
        addr(f, x0, j);
        f.mem('f32.load').set(xs0);
        addr(f, x1, j);
        f.mem('f32.load').set(xs1);
        for (let t = 0; t < R; t++) {
          addr(f, wt[t]!, j);
          f.mem('f32.load').set(ws1);
          f.get(s[2 * t]!).get(ws1).get(xs0).op('f32.mul').op('f32.add').set(s[2 * t]!);
          f.get(s[2 * t + 1]!).get(ws1).get(xs1).op('f32.mul').op('f32.add').set(s[2 * t + 1]!);
        }
      });
      for (let u = 0; u < 2; u++) {
        f.get(out).get(i).i32(u).op('i32.add').get(n).op('i32.mul').get(r).op('i32.add').i32(2).op('i32.shl').op('i32.add').set(o);
        for (let t = 0; t < R; t++) f.get(o).get(s[2 * t + u]!).mem('f32.store', 4 * t);
      }
      f.inc(i, 2);
    },
  );
  f.get(i).get(m).op('i32.lt_s');
  f.if(() => {
    f.get(out).get(i).get(n).op('i32.mul').i32(2).op('i32.shl').op('i32.add');
    f.get(x).get(i).get(kb).op('i32.mul').op('i32.add');
    f.get(w0).get(ws).i32(1).get(n).get(k).get(r).call(tile4);
  });
  return f;
}

/**
 * gemv_f32(out, x, w, k, r0, r1): out[r] = x · w_r for r in [r0, r1), one weight row at a time (one
 * sequential stream, which the hardware prefetcher follows best), `acc` accumulators of 4 lanes.
 */
function gemvF32(mod: ModuleBuilder, accs: number): FnBuilder {
  const f = mod.fn(`gemv_f32_${accs}`, [i32, i32, i32, i32, i32, i32], [], false);
  const [out, x, w, k, r0, r1] = f.paramLocals as [Local, Local, Local, Local, Local, Local];
  const r = f.local(i32);
  const j = f.local(i32);
  const kb = f.local(i32);
  const kbU = f.local(i32);
  const wr = f.local(i32);
  const s = f.local(f32);
  const a = Array.from({ length: accs }, () => f.local(v128));
  const step = 16 * accs;
  f.get(k).i32(2).op('i32.shl').set(kb);
  f.get(kb).i32(-step).op('i32.and').set(kbU);
  f.get(w).get(r0).get(kb).op('i32.mul').op('i32.add').set(wr);
  f.for(r, r0, r1, 1, () => {
    for (const acc of a) f.f32x4(0).set(acc);
    f.for(j, 0, kbU, step, () => {
      a.forEach((acc, u) => {
        f.get(acc).get(wr).get(j).op('i32.add').vmem('v128.load', 16 * u).get(x).get(j).op('i32.add').vmem('v128.load', 16 * u).simd('f32x4.mul').simd('f32x4.add').set(acc);
      });
    });
    f.for(j, j, () => f.get(kb).i32(-16).op('i32.and'), 16, () => {
      f.get(a[0]!).get(wr).get(j).op('i32.add').vmem('v128.load').get(x).get(j).op('i32.add').vmem('v128.load').simd('f32x4.mul').simd('f32x4.add').set(a[0]!);
    });
    // Pairwise: ((a0 + a1) + (a2 + a3)).
    for (let width = 1; width < accs; width *= 2) {
      for (let u = 0; u + width < accs; u += 2 * width) f.get(a[u]!).get(a[u + width]!).simd('f32x4.add').set(a[u]!);
    }
    hsum(f, a[0]!);
    f.set(s);
    f.for(j, j, kb, 4, () => {
      f.get(s).get(wr).get(j).op('i32.add').mem('f32.load').get(x).get(j).op('i32.add').mem('f32.load').op('f32.mul').op('f32.add').set(s);
    });
    f.get(out).get(r).i32(2).op('i32.shl').op('i32.add').get(s).mem('f32.store');
    f.inc(wr, kb);
  });
  return f;
}

/**
 * Push the 32 codes of a block as two i8x16 vectors into c0 (values 0-15) and c1 (values 16-31),
 * from the block at `cp` (+ byte offset `off`).
 */
function loadCodes(f: FnBuilder, kind: QuantKind, cp: Local, c0: Local, c1: Local): void {
  if (kind === 'q8_0') {
    f.get(cp).vmem('v128.load', 0).set(c0);
    f.get(cp).vmem('v128.load', 16).set(c1);
    return;
  }
  // Q4_0: byte j holds value j (low nibble) and value j + 16 (high nibble), both offset by 8.
  f.get(cp).vmem('v128.load', 0).set(c1);
  f.get(c1).i8x16(0x0f).simd('v128.and').i8x16(8).simd('i8x16.sub').set(c0);
  f.get(c1).i32(4).simd('i8x16.shr_u').i8x16(8).simd('i8x16.sub').set(c1);
}

/**
 * Widen an i8x16 local to four f32x4 (lanes 0-3, 4-7, 8-11, 12-15): for each, `before(part)` may push
 * what goes under the value (a store address), then the f32x4 is pushed and `after(part)` consumes it.
 */
function widen(f: FnBuilder, c: Local, t16: Local, base: number, before: (part: number) => void, after: (part: number) => void): void {
  for (let half = 0; half < 2; half++) {
    f.get(c).simd(half ? 'i16x8.extend_high_i8x16_s' : 'i16x8.extend_low_i8x16_s').set(t16);
    for (let q = 0; q < 2; q++) {
      const part = base + half * 2 + q;
      before(part);
      f.get(t16).simd(q ? 'i32x4.extend_high_i16x8_s' : 'i32x4.extend_low_i16x8_s').simd('f32x4.convert_i32x4_s');
      after(part);
    }
  }
}

/** Push the f32 scale of the block whose f16 bits are at `sp`. */
function blockScale(f: FnBuilder, sp: Local, lut: Local): void {
  f.get(lut).get(sp).mem('i32.load16_u').i32(2).op('i32.shl').op('i32.add').mem('f32.load');
}

/**
 * rows_q_R(out_r, x, codes_r, scales_r, k, lut): out_r[t] = x · row t for t < R (one input row),
 * with row t's codes at codes_r + t * codeStride and its scales at scales_r + t * k / 16.
 */
function quantRows(mod: ModuleBuilder, kind: QuantKind, R: number): FnBuilder {
  const f = mod.fn(`rows_${kind}_${R}`, [i32, i32, i32, i32, i32, i32], [], false);
  const [out, x, codes, scales, k, lut] = f.paramLocals as [Local, Local, Local, Local, Local, Local];
  const nb = f.local(i32);
  const b = f.local(i32);
  const xp = f.local(i32);
  const cp = Array.from({ length: R }, () => f.local(i32));
  const sp = Array.from({ length: R }, () => f.local(i32));
  const acc = Array.from({ length: R }, () => f.local(v128));
  const c0 = f.local(v128);
  const c1 = f.local(v128);
  const t16 = f.local(v128);
  const codeStride = kind === 'q8_0' ? 0 : 1; // shift of k: codes per row = k >> codeStride
  const blockBytes = kind === 'q8_0' ? 32 : 16;
  f.get(k).i32(5).op('i32.shr_u').set(nb);
  for (let t = 0; t < R; t++) {
    f.get(codes).get(k).i32(codeStride).op('i32.shr_u').i32(t).op('i32.mul').op('i32.add').set(cp[t]!);
    f.get(scales).get(k).i32(4).op('i32.shr_u').i32(t).op('i32.mul').op('i32.add').set(sp[t]!);
    f.f32x4(0).set(acc[t]!);
  }
  f.get(x).set(xp);
  f.for(b, 0, nb, 1, () => {
    for (let t = 0; t < R; t++) {
      loadCodes(f, kind, cp[t]!, c0, c1);
      // acc += d * (((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))), p = code * x.
      f.get(acc[t]!);
      const mulX = (part: number) => {
        f.get(xp).vmem('v128.load', 16 * part).simd('f32x4.mul');
        if (part % 2 === 1) f.simd('f32x4.add');
        if (part % 4 === 3) f.simd('f32x4.add');
      };
      widen(f, c0, t16, 0, () => {}, mulX);
      widen(f, c1, t16, 4, () => {}, mulX);
      f.simd('f32x4.add');
      blockScale(f, sp[t]!, lut);
      f.simd('f32x4.splat').simd('f32x4.mul').simd('f32x4.add').set(acc[t]!);
      f.inc(cp[t]!, blockBytes).inc(sp[t]!, 2);
    }
    f.inc(xp, 128);
  });
  for (let t = 0; t < R; t++) {
    f.get(out);
    hsum(f, acc[t]!);
    f.mem('f32.store', 4 * t);
  }
  return f;
}

/**
 * quant_x(x, k, dst): split each 32-value block of x into two int16 parts, x ~= s * hi + (s / 32768) *
 * lo with s = amax / 32767, which leaves an error below amax * 2^-30 (far under f32 rounding). Layout
 * at dst: per block 32 hi then 32 lo (128 bytes), then the f32 scales s of all blocks.
 */
function quantX(mod: ModuleBuilder): FnBuilder {
  const f = mod.fn('quant_x', [i32, i32, i32], [], false);
  const [x, k, dst] = f.paramLocals as [Local, Local, Local];
  const b = f.local(i32);
  const nb = f.local(i32);
  const xp = f.local(i32);
  const dp = f.local(i32);
  const sp = f.local(i32);
  const amax = f.local(v128);
  const t = f.local(v128);
  const am = f.local(f32);
  const sc = f.local(f32);
  const inv = f.local(f32);
  const vs = f.local(v128);
  const vinv = f.local(v128);
  const hf = Array.from({ length: 8 }, () => f.local(v128));
  const lf = Array.from({ length: 8 }, () => f.local(v128));
  f.get(k).i32(5).op('i32.shr_u').set(nb);
  f.get(dst).get(nb).i32(7).op('i32.shl').op('i32.add').set(sp);
  f.get(x).set(xp);
  f.get(dst).set(dp);
  f.for(b, 0, nb, 1, () => {
    f.f32x4(0).set(amax);
    for (let p = 0; p < 8; p++) f.get(amax).get(xp).vmem('v128.load', 16 * p).simd('f32x4.abs').simd('f32x4.max').set(amax);
    f.get(amax).lane('f32x4.extract_lane', 0).get(amax).lane('f32x4.extract_lane', 1).op('f32.max');
    f.get(amax).lane('f32x4.extract_lane', 2).get(amax).lane('f32x4.extract_lane', 3).op('f32.max').op('f32.max').set(am);
    f.get(am).f32(32767).op('f32.div').set(sc);
    f.get(am).f32(0).op('f32.gt');
    f.if(
      () => f.f32(1).get(sc).op('f32.div').set(inv),
      () => f.f32(0).set(inv),
    );
    f.get(sc).simd('f32x4.splat').set(vs);
    f.get(inv).simd('f32x4.splat').set(vinv);
    for (let p = 0; p < 8; p++) {
      f.get(xp).vmem('v128.load', 16 * p).set(t);
      f.get(t).get(vinv).simd('f32x4.mul').simd('f32x4.nearest').set(hf[p]!);
      f.get(t).get(hf[p]!).get(vs).simd('f32x4.mul').simd('f32x4.sub').get(vinv).simd('f32x4.mul').f32x4(32768).simd('f32x4.mul').simd('f32x4.nearest').set(lf[p]!);
    }
    for (let p = 0; p < 4; p++) {
      f.get(dp).get(hf[2 * p]!).simd('i32x4.trunc_sat_f32x4_s').get(hf[2 * p + 1]!).simd('i32x4.trunc_sat_f32x4_s').simd('i16x8.narrow_i32x4_s').vmem('v128.store', 16 * p);
      f.get(dp).get(lf[2 * p]!).simd('i32x4.trunc_sat_f32x4_s').get(lf[2 * p + 1]!).simd('i32x4.trunc_sat_f32x4_s').simd('i16x8.narrow_i32x4_s').vmem('v128.store', 64 + 16 * p);
    }
    f.get(sp).get(sc).mem('f32.store');
    f.inc(xp, 128).inc(dp, 128).inc(sp, 4);
  });
  return f;
}

/**
 * rows_int_q_R(out_r, xq, codes_r, scales_r, k, lut): like rows_q_R, over x split by quant_x: integer
 * dot products of the codes with both int16 parts (i32x4.dot_i16x8_s, exact; `single`: the hi part
 * only), then per block acc += d * s * (hi_sum + lo_sum / 32768) in f32. (Measured on x86-64 with
 * V8: one row and one block per iteration is fastest; unrolling spills registers, and decoding the
 * scales with SIMD ahead of the loop gains nothing, the vector dot products being the bottleneck.)
 */
function quantRowsInt(mod: ModuleBuilder, kind: QuantKind, R: number, unroll = 1, single = false): FnBuilder {
  const f = mod.fn(`rows_int${single ? '1' : ''}_${kind}_${R}`, [i32, i32, i32, i32, i32, i32], [], false);
  const [out, xq, codes, scales, k, lut] = f.paramLocals as [Local, Local, Local, Local, Local, Local];
  const nb = f.local(i32);
  const nbU = f.local(i32);
  const b = f.local(i32);
  const xp = f.local(i32);
  const xs = f.local(i32);
  const cp = Array.from({ length: R }, () => f.local(i32));
  const sp = Array.from({ length: R }, () => f.local(i32));
  const acc = Array.from({ length: R }, () => f.local(v128));
  const c0 = f.local(v128);
  const c1 = f.local(v128);
  const w = Array.from({ length: 4 }, () => f.local(v128));
  const inv = f.local(v128);
  const codeStride = kind === 'q8_0' ? 0 : 1;
  const blockBytes = kind === 'q8_0' ? 32 : 16;
  f.get(k).i32(5).op('i32.shr_u').set(nb);
  f.get(nb).i32(-unroll).op('i32.and').set(nbU);
  f.get(xq).get(nb).i32(7).op('i32.shl').op('i32.add').set(xs);
  f.f32x4(1 / 32768).set(inv);
  for (let t = 0; t < R; t++) {
    f.get(codes).get(k).i32(codeStride).op('i32.shr_u').i32(t).op('i32.mul').op('i32.add').set(cp[t]!);
    f.get(scales).get(k).i32(4).op('i32.shr_u').i32(t).op('i32.mul').op('i32.add').set(sp[t]!);
    f.f32x4(0).set(acc[t]!);
  }
  f.get(xq).set(xp);
  /** One block at offset u (blocks) from the current pointers. */
  const block = (u: number) => {
    for (let t = 0; t < R; t++) {
      const co = u * blockBytes;
      if (kind === 'q8_0') {
        // Sign-extending loads: 8 codes -> i16x8 in one instruction.
        for (let p = 0; p < 4; p++) f.get(cp[t]!).vmem('v128.load8x8_s', co + 8 * p).set(w[p]!);
      } else {
        f.get(cp[t]!).vmem('v128.load', co).set(c1);
        f.get(c1).i8x16(0x0f).simd('v128.and').i8x16(8).simd('i8x16.sub').set(c0);
        f.get(c1).i32(4).simd('i8x16.shr_u').i8x16(8).simd('i8x16.sub').set(c1);
        f.get(c0).simd('i16x8.extend_low_i8x16_s').set(w[0]!);
        f.get(c0).simd('i16x8.extend_high_i8x16_s').set(w[1]!);
        f.get(c1).simd('i16x8.extend_low_i8x16_s').set(w[2]!);
        f.get(c1).simd('i16x8.extend_high_i8x16_s').set(w[3]!);
      }
      f.get(acc[t]!);
      for (const base of single ? [0] : [0, 64]) {
        for (let p = 0; p < 4; p++) {
          f.get(w[p]!).get(xp).vmem('v128.load', u * 128 + base + 16 * p).simd('i32x4.dot_i16x8_s');
          if (p % 2 === 1) f.simd('i32x4.add');
        }
        f.simd('i32x4.add').simd('f32x4.convert_i32x4_s');
        if (base === 64) f.get(inv).simd('f32x4.mul').simd('f32x4.add');
      }
      f.get(lut).get(sp[t]!).mem('i32.load16_u', 2 * u).i32(2).op('i32.shl').op('i32.add').mem('f32.load');
      f.get(xs).mem('f32.load', 4 * u).op('f32.mul').simd('f32x4.splat').simd('f32x4.mul').simd('f32x4.add').set(acc[t]!);
    }
  };
  const advance = (u: number) => {
    for (let t = 0; t < R; t++) f.inc(cp[t]!, u * blockBytes).inc(sp[t]!, 2 * u);
    f.inc(xp, 128 * u).inc(xs, 4 * u);
  };
  f.for(b, 0, nbU, unroll, () => {
    for (let u = 0; u < unroll; u++) block(u);
    advance(unroll);
  });
  f.for(b, b, nb, 1, () => {
    block(0);
    advance(1);
  });
  for (let t = 0; t < R; t++) {
    f.get(out);
    hsum(f, acc[t]!);
    f.mem('f32.store', 4 * t);
  }
  return f;
}

/** dequant_q(dst, codes, scales, blocks, lut): the f32 values of `blocks` consecutive blocks. */
function dequant(mod: ModuleBuilder, kind: QuantKind): FnBuilder {
  const f = mod.fn(`dequant_${kind}`, [i32, i32, i32, i32, i32], [], false);
  const [dst, codes, scales, blocks, lut] = f.paramLocals as [Local, Local, Local, Local, Local];
  const b = f.local(i32);
  const d = f.local(v128);
  const c0 = f.local(v128);
  const c1 = f.local(v128);
  const t16 = f.local(v128);
  const blockBytes = kind === 'q8_0' ? 32 : 16;
  const store = (part: number) => f.get(d).simd('f32x4.mul').vmem('v128.store', 16 * part);
  f.for(b, 0, blocks, 1, () => {
    blockScale(f, scales, lut);
    f.simd('f32x4.splat').set(d);
    loadCodes(f, kind, codes, c0, c1);
    widen(f, c0, t16, 0, () => f.get(dst), store);
    widen(f, c1, t16, 4, () => f.get(dst), store);
    f.inc(dst, 128).inc(codes, blockBytes).inc(scales, 2);
  });
  return f;
}

/** matmul_f32(out, x, w, _, m, n, k, r0, r1, _, _): rows [r0, r1) of out[m, n] = x[m, k] · w[n, k]^T. */
function matmulF32(mod: ModuleBuilder, tileR: FnBuilder, tile1: FnBuilder, R: number, gemv: FnBuilder): void {
  const f = mod.fn('matmul_f32', [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [out, x, w, , m, n, k, r0, r1] = f.paramLocals as Local[] as [Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const r = f.local(i32);
  const rb = f.local(i32);
  f.get(k).i32(2).op('i32.shl').set(rb);
  f.get(r0).set(r);
  // One input row: the streaming GEMV.
  f.get(m).i32(1).op('i32.eq');
  f.if(() => {
    f.get(out).get(x).get(w).get(k).get(r0).get(r1).call(gemv);
    f.op('return');
  });
  const call = (tile: FnBuilder, rows: number) => {
    whileLoop(
      f,
      () => f.get(r).i32(rows).op('i32.add').get(r1).op('i32.le_s'),
      () => {
        f.get(out).get(x).get(w).get(r).get(rb).op('i32.mul').op('i32.add').get(rb).get(m).get(n).get(k).get(r).call(tile);
        f.inc(r, rows);
      },
    );
  };
  call(tileR, R);
  if (R > 1) call(tile1, 1);
}

/** How a quantised GEMV (one input row) is computed: f32 products, or integer products over x split by quant_x. */
export interface QuantGemvVariant {
  readonly integer: boolean;
  /** Weight rows per inner loop. */
  readonly rows: 1 | 2 | 4;
  /** Blocks per loop iteration (integer variant). */
  readonly unroll?: number;
  /**
   * One int16 part of x instead of two: half the integer products, at an error of up to 2^-16 of each
   * 32-value block's largest |x| (llama.cpp quantises activations to 8 bits for its Q8_0 / Q4_0 dots).
   */
  readonly singlePart?: boolean;
}
export const DEFAULT_QUANT_GEMV: QuantGemvVariant = { integer: true, rows: 1, unroll: 1 };

/**
 * matmul_q(out, x, codes, scales, m, n, k, r0, r1, scratch, lut): one input row dequantises inside
 * the dot products (integer variant: x is first split into int16 parts in `scratch`, 4.125 k bytes);
 * several input rows dequantise `R` weight rows at a time into `scratch` (16 k bytes) and run the f32
 * tile over them, so each weight is converted once per call.
 */
function matmulQuant(mod: ModuleBuilder, kind: QuantKind, variant: QuantGemvVariant, quantXFn: FnBuilder, tile4: FnBuilder, tile1: FnBuilder): void {
  const R = variant.rows;
  const rowsR = variant.integer ? quantRowsInt(mod, kind, R, variant.unroll, variant.singlePart) : quantRows(mod, kind, R);
  const rows1 = R === 1 ? rowsR : variant.integer ? quantRowsInt(mod, kind, 1, variant.unroll, variant.singlePart) : quantRows(mod, kind, 1);
  const deq = dequant(mod, kind);
  const f = mod.fn(`matmul_${kind}`, [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [out, x, w, scales, m, n, k, r0, r1, scratch, lut] = f.paramLocals as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const r = f.local(i32);
  const cs = f.local(i32);
  const ss = f.local(i32);
  const rb = f.local(i32);
  const xin = f.local(i32);
  f.get(k).i32(kind === 'q8_0' ? 0 : 1).op('i32.shr_u').set(cs);
  f.get(k).i32(4).op('i32.shr_u').set(ss);
  f.get(k).i32(2).op('i32.shl').set(rb);
  f.get(r0).set(r);
  const codesAt = () => f.get(w).get(r).get(cs).op('i32.mul').op('i32.add');
  const scalesAt = () => f.get(scales).get(r).get(ss).op('i32.mul').op('i32.add');
  f.get(m).i32(1).op('i32.eq');
  f.if(
    () => {
      if (variant.integer) {
        f.get(x).get(k).get(scratch).call(quantXFn);
        f.get(scratch).set(xin);
      } else f.get(x).set(xin);
      const loops: [FnBuilder, number][] = R === 1 ? [[rowsR, 1]] : [[rowsR, R], [rows1, 1]];
      for (const [fn, rows] of loops) {
        whileLoop(
          f,
          () => f.get(r).i32(rows).op('i32.add').get(r1).op('i32.le_s'),
          () => {
            f.get(out).get(r).i32(2).op('i32.shl').op('i32.add').get(xin);
            codesAt();
            scalesAt();
            f.get(k).get(lut).call(fn);
            f.inc(r, rows);
          },
        );
      }
    },
    () => {
      for (const [tile, rows] of [[tile4, 4], [tile1, 1]] as const) {
        whileLoop(
          f,
          () => f.get(r).i32(rows).op('i32.add').get(r1).op('i32.le_s'),
          () => {
            f.get(scratch);
            codesAt();
            scalesAt();
            f.get(k).i32(5).op('i32.shr_u').i32(rows).op('i32.mul').get(lut).call(deq);
            f.get(out).get(x).get(scratch).get(rb).get(m).get(n).get(k).get(r).call(tile);
            f.inc(r, rows);
          },
        );
      }
    },
  );
}

/** attn_rows(rows, pageTable, pageSize, len, rowBytes) */
function attnRows(mod: ModuleBuilder): void {
  const f = mod.fn('attn_rows', [i32, i32, i32, i32, i32]);
  const [rows, pageTable, pageSize, len, rowBytes] = f.paramLocals as [Local, Local, Local, Local, Local];
  const j = f.local(i32);
  const e = f.local(i32);
  const at = f.local(i32);
  const p = f.local(i32);
  f.i32(0).set(j).get(pageTable).set(p);
  whileLoop(
    f,
    () => f.get(j).get(len).op('i32.lt_s'),
    () => {
      f.get(p).mem('i32.load').get(pageSize).op('i32.mul').get(rowBytes).op('i32.mul').set(at);
      // e = min(len, j + pageSize)
      f.get(j).get(pageSize).op('i32.add').tee(e).get(len).get(e).get(len).op('i32.lt_s').op('select').set(e);
      f.for(j, j, e, 1, () => {
        f.get(rows).get(j).i32(2).op('i32.shl').op('i32.add').get(at).mem('i32.store');
        f.inc(at, rowBytes);
      });
      f.inc(p, 4);
    },
  );
}

/**
 * exp of the f32x4 local `x`, pushed (Cephes expf: 2^n times a degree-6 polynomial, ~1 ulp). Inputs
 * are clamped to [lo, 88] (88: the largest with a finite 2^n); with `zeroBelow`, lanes at or below
 * `lo` (and -inf) give exactly 0.
 */
function expF32x4(f: FnBuilder, x: Local, t: { xc: Local; n: Local; r: Local; p: Local }, lo: number, zeroBelow: boolean): void {
  const { xc, n, r, p } = t;
  f.get(x).f32x4(lo).simd('f32x4.max').f32x4(88).simd('f32x4.min').set(xc);
  f.get(xc).f32x4(Math.LOG2E).simd('f32x4.mul').simd('f32x4.nearest').set(n);
  f.get(xc).get(n).f32x4(0.693359375).simd('f32x4.mul').simd('f32x4.sub');
  f.get(n).f32x4(-2.12194440e-4).simd('f32x4.mul').simd('f32x4.sub').set(r);
  f.f32x4(1.9875691500e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]) {
    f.get(r).simd('f32x4.mul').f32x4(c).simd('f32x4.add');
  }
  // e = p * r^2 + r + 1
  f.get(r).get(r).simd('f32x4.mul').simd('f32x4.mul').get(r).simd('f32x4.add').f32x4(1).simd('f32x4.add').set(p);
  // * 2^n, built from the exponent bits
  f.get(p);
  f.get(n).simd('i32x4.trunc_sat_f32x4_s').i32x4(127).simd('i32x4.add').i32(23).simd('i32x4.shl');
  f.simd('f32x4.mul');
  if (zeroBelow) f.get(x).f32x4(lo).simd('f32x4.gt').simd('v128.and');
}

/** exp of lanes <= 0 (or -inf); lanes at or below -87 give exactly 0. */
function expNonPositive(f: FnBuilder, x: Local, t: { xc: Local; n: Local; r: Local; p: Local }): void {
  expF32x4(f, x, t, -87, true);
}

/** silu_mul(out, gate, up, n): out = gate / (1 + exp(-gate)) * up, 4 lanes at a time, then a scalar tail. */
function siluMul(mod: ModuleBuilder): void {
  const f = mod.fn('silu_mul', [i32, i32, i32, i32]);
  const [out, gate, up, n] = f.paramLocals as [Local, Local, Local, Local];
  const j = f.local(i32);
  const nb = f.local(i32);
  const g = f.local(v128);
  const ng = f.local(v128);
  const t = { xc: f.local(v128), n: f.local(v128), r: f.local(v128), p: f.local(v128) };
  const body = (load: 'v128.load' | 'v128.load32_zero') => {
    addr(f, gate, j);
    f.vmem(load).set(g);
    f.f32x4(0).get(g).simd('f32x4.sub').set(ng);
    addr(f, out, j);
    f.get(g);
    f.f32x4(1);
    expF32x4(f, ng, t, -87, false);
    f.simd('f32x4.add').simd('f32x4.div'); // g * (1 / (1 + e)) as g / (1 + e)
    addr(f, up, j);
    f.vmem(load).simd('f32x4.mul');
  };
  f.get(n).i32(2).op('i32.shl').set(nb);
  f.for(j, 0, () => f.get(nb).i32(-16).op('i32.and'), 16, () => {
    body('v128.load');
    f.vmem('v128.store');
  });
  f.for(j, j, nb, 4, () => {
    body('v128.load32_zero');
    f.lane('f32x4.extract_lane', 0).mem('f32.store');
  });
}

/**
 * attn_heads(job, h0, h1, scratch): for query heads [h0, h1) and every query row i, softmax(q · K^T *
 * scale) · V over the slots of the head's KV head whose position p satisfies lo_i < p <= qp_i; with
 * the optional statistics pointers of the job, each row's probabilities are also added into the
 * head's column sums (every row) and window sums (rows i >= winFrom; the caller zeroes them).
 */
function attnHeads(mod: ModuleBuilder): void {
  const f = mod.fn('attn_heads', [i32, i32, i32, i32]);
  const [job, h0, h1, scratch] = f.paramLocals as [Local, Local, Local, Local];
  const J = ATTN_JOB;
  const h = f.local(i32);
  const i = f.local(i32);
  const m = f.local(i32);
  const d = f.local(i32);
  const db = f.local(i32);
  const width = f.local(i32);
  const kh = f.local(i32);
  const rows = f.local(i32);
  const pos = f.local(i32);
  const len = f.local(i32);
  const qp = f.local(i32);
  const lo = f.local(i32);
  const qo = f.local(i32); // byte offset of (i, h) in q and out
  const q = f.local(i32);
  const kPool = f.local(i32);
  const vPool = f.local(i32);
  const scores = f.local(i32);
  const acc = f.local(i32);
  const j = f.local(i32);
  const c = f.local(i32);
  const kp = f.local(i32);
  const row = f.local(i32);
  const scale = f.local(f32);
  const max = f.local(f32);
  const s = f.local(f32);
  const e = f.local(f32);
  const va = f.local(v128);
  const vb = f.local(v128);
  const vx = f.local(v128);
  const vsum = f.local(v128);
  const vmax = f.local(v128);
  const xc = f.local(v128);
  const vn = f.local(v128);
  const vr = f.local(v128);
  const vp = f.local(v128);
  const word = (w: number) => f.get(job).mem('i32.load', 4 * w);
  word(J.m).set(m);
  word(J.d).set(d);
  f.get(d).i32(2).op('i32.shl').set(db);
  word(J.nHeads).get(d).op('i32.mul').i32(2).op('i32.shl').set(width);
  word(J.kPool).set(kPool);
  word(J.vPool).set(vPool);
  f.get(job).mem('f32.load', 4 * J.scale).set(scale);
  f.get(scratch).set(scores);
  f.get(scratch).get(job).mem('i32.load', 4 * J.accOffset).op('i32.add').set(acc);
  f.for(h, h0, h1, 1, () => {
    f.get(h).get(job).mem('i32.load', 4 * J.group).op('i32.div_u').i32(2).op('i32.shl').set(kh);
    word(J.headRows).get(kh).op('i32.add').mem('i32.load').set(rows);
    word(J.headPos).get(kh).op('i32.add').mem('i32.load').set(pos);
    word(J.headLen).get(kh).op('i32.add').mem('i32.load').set(len);
    f.for(i, 0, m, 1, () => {
      word(J.qPos).get(i).i32(2).op('i32.shl').op('i32.add').mem('i32.load').set(qp);
      word(J.qLo).get(i).i32(2).op('i32.shl').op('i32.add').mem('i32.load').set(lo);
      f.get(i).get(width).op('i32.mul').get(h).get(db).op('i32.mul').op('i32.add').set(qo);
      word(J.q).get(qo).op('i32.add').set(q);
      // Pass 1: scores and their max.
      f.f32(-Infinity).set(max);
      f.for(j, 0, len, 1, () => {
        f.get(pos).get(j).i32(2).op('i32.shl').op('i32.add').mem('i32.load').set(kp);
        f.get(kp).get(qp).op('i32.le_s').get(kp).get(lo).op('i32.gt_s').op('i32.and');
        f.if(
          () => {
            f.get(kPool).get(rows).get(j).i32(2).op('i32.shl').op('i32.add').mem('i32.load').op('i32.add').set(row);
            f.f32x4(0).set(va).f32x4(0).set(vb);
            f.i32(0).set(c);
            whileLoop(
              f,
              () => f.get(c).i32(32).op('i32.add').get(db).op('i32.le_s'),
              () => {
                f.get(va).get(q).get(c).op('i32.add').vmem('v128.load').get(row).get(c).op('i32.add').vmem('v128.load').simd('f32x4.mul').simd('f32x4.add').set(va);
                f.get(vb).get(q).get(c).op('i32.add').vmem('v128.load', 16).get(row).get(c).op('i32.add').vmem('v128.load', 16).simd('f32x4.mul').simd('f32x4.add').set(vb);
                f.inc(c, 32);
              },
            );
            f.get(c).get(db).op('i32.lt_s');
            f.if(() => {
              f.get(va).get(q).get(c).op('i32.add').vmem('v128.load').get(row).get(c).op('i32.add').vmem('v128.load').simd('f32x4.mul').simd('f32x4.add').set(va);
            });
            f.get(va).get(vb).simd('f32x4.add').set(va);
            hsum(f, va);
            f.get(scale).op('f32.mul').set(s);
          },
          () => {
            f.f32(-Infinity).set(s);
          },
        );
        f.get(scores).get(j).i32(2).op('i32.shl').op('i32.add').get(s).mem('f32.store');
        f.get(max).get(s).op('f32.max').set(max);
      });
      f.get(max).f32(-Infinity).op('f32.eq');
      f.if(
        () => {
          // Nothing visible: zeros.
          f.for(c, 0, db, 16, () => {
            f.get(job).mem('i32.load', 4 * J.out).get(qo).op('i32.add').get(c).op('i32.add').f32x4(0).vmem('v128.store');
          });
        },
        () => {
          // Pass 2: exp(s - max) in place, padded to whole vectors with -inf, and the sum.
          for (let p = 0; p < 4; p++) f.get(scores).get(len).i32(2).op('i32.shl').op('i32.add').f32(-Infinity).mem('f32.store', 4 * p);
          f.get(max).simd('f32x4.splat').set(vmax);
          f.f32x4(0).set(vsum);
          f.for(j, 0, len, 4, () => {
            f.get(scores).get(j).i32(2).op('i32.shl').op('i32.add').vmem('v128.load').get(vmax).simd('f32x4.sub').set(vx);
            f.get(scores).get(j).i32(2).op('i32.shl').op('i32.add');
            expNonPositive(f, vx, { xc, n: vn, r: vr, p: vp });
            f.tee(vx);
            f.vmem('v128.store');
            f.get(vsum).get(vx).simd('f32x4.add').set(vsum);
          });
          // Pass 3: acc = sum_j e_j V_j, then out = acc / sum.
          f.for(c, 0, db, 16, () => {
            f.get(acc).get(c).op('i32.add').f32x4(0).vmem('v128.store');
          });
          f.for(j, 0, len, 1, () => {
            f.get(scores).get(j).i32(2).op('i32.shl').op('i32.add').mem('f32.load').tee(e);
            f.f32(0).op('f32.eq').op('i32.eqz');
            f.if(() => {
              f.get(vPool).get(rows).get(j).i32(2).op('i32.shl').op('i32.add').mem('i32.load').op('i32.add').set(row);
              f.get(e).simd('f32x4.splat').set(vx);
              f.for(c, 0, db, 16, () => {
                f.get(acc).get(c).op('i32.add');
                f.get(acc).get(c).op('i32.add').vmem('v128.load');
                f.get(row).get(c).op('i32.add').vmem('v128.load').get(vx).simd('f32x4.mul').simd('f32x4.add');
                f.vmem('v128.store');
              });
            });
          });
          hsum(f, vsum);
          f.set(s);
          f.f32x4(1).get(s).simd('f32x4.splat').simd('f32x4.div').set(vx);
          f.for(c, 0, db, 16, () => {
            f.get(job).mem('i32.load', 4 * J.out).get(qo).op('i32.add').get(c).op('i32.add');
            f.get(acc).get(c).op('i32.add').vmem('v128.load').get(vx).simd('f32x4.mul');
            f.vmem('v128.store');
          });
          // Policy statistics: colSums[h, j] += e_j / sum for every query row (H2O), winSums[h, j] +=
          // e_j / sum for the rows i >= winFrom (TOVA, SnapKV's window); four slots at a time, then
          // one at a time (a vector past the head's length could reach the next head's row, which
          // belongs to another thread).
          for (const [ptr, fromRow] of [[J.colSums, -1], [J.winSums, J.winFrom]] as const) {
            word(ptr).op('i32.eqz').op('i32.eqz');
            if (fromRow >= 0) {
              f.get(i);
              word(fromRow);
              f.op('i32.ge_s').op('i32.and');
            }
            f.if(() => {
              word(ptr);
              f.get(h);
              word(J.capSlots);
              f.op('i32.mul').i32(2).op('i32.shl').op('i32.add').set(row);
              f.f32(1).get(s).op('f32.div').set(e);
              f.for(j, 0, () => f.get(len).i32(-4).op('i32.and'), 4, () => {
                f.get(row).get(j).i32(2).op('i32.shl').op('i32.add').tee(kp);
                f.get(kp).vmem('v128.load');
                f.get(scores).get(j).i32(2).op('i32.shl').op('i32.add').vmem('v128.load').get(vx).simd('f32x4.mul').simd('f32x4.add');
                f.vmem('v128.store');
              });
              f.for(j, j, len, 1, () => {
                f.get(row).get(j).i32(2).op('i32.shl').op('i32.add').tee(kp);
                f.get(kp).mem('f32.load');
                f.get(scores).get(j).i32(2).op('i32.shl').op('i32.add').mem('f32.load').get(e).op('f32.mul').op('f32.add');
                f.mem('f32.store');
              });
            });
          }
        },
      );
    });
  });
}

export function buildKernelModule(opts: KernelModuleOptions): Uint8Array {
  const mod = new ModuleBuilder({ module: 'env', name: 'memory', initial: opts.initialPages, maximum: opts.maximumPages, shared: opts.shared });
  const tile4 = opts.f32Pairs === false ? tileF32(mod, 4) : tileF32x2(mod, tileF32(mod, 4));
  const tile1 = tileF32(mod, 1);
  const fr = opts.f32Rows ?? 4;
  matmulF32(mod, fr === 4 ? tile4 : fr === 1 ? tile1 : tileF32(mod, fr), tile1, fr, gemvF32(mod, opts.f32Accumulators ?? 4));
  const qx = quantX(mod);
  for (const kind of ['q8_0', 'q4_0'] as const) matmulQuant(mod, kind, opts.quantGemv ?? DEFAULT_QUANT_GEMV, qx, tile4, tile1);
  attnRows(mod);
  attnHeads(mod);
  siluMul(mod);
  return mod.encode();
}
