// The CPU backend with WebAssembly SIMD kernels: every tensor lives in one WebAssembly.Memory (shared
// with worker threads when threads > 1), so kernels read weights in place; the only copy is the
// upload. Matmuls (f32, Q8_0, Q4_0 weights) and attention over an f32 cache run in WASM, split across
// the threads by output rows / query heads; the other ops run the reference JS kernels on views of
// the same memory (they are a small part of a token's time).
import type { AttentionOptions, Backend, RopeOptions } from '../../backend.js';
import type { DType } from '../../dtype.js';
import { byteSize, numel } from '../../dtype.js';
import { InvalidArgumentError, ShapeMismatchError, UnsupportedDTypeError } from '../../errors.js';
import { f16Table32 } from '../../f16.js';
import type { KvFormat } from '../../kv-format.js';
import type { KvView } from '../../kv-view.js';
import { viewCapacity } from '../../kv-view.js';
import { decode } from '../../quant/codec.js';
import type { Tensor } from '../../tensor.js';
import { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';
import { attention as jsAttention } from '../kernels/attention.js';
import { add, siluMul, softmax } from '../kernels/elementwise.js';
import { embed as jsEmbed } from '../kernels/embed.js';
import { kvQuantize } from '../kernels/kv-quantize.js';
import { kvMove, kvWrite } from '../kernels/kv-write.js';
import { matmul as jsMatmul } from '../kernels/matmul.js';
import { rmsnorm } from '../kernels/rmsnorm.js';
import { rope } from '../kernels/rope.js';
import { ropeAngles, rotateHeads } from '../../rope-angles.js';
import { Heap, PAGE } from './heap.js';
import type { KernelExports, KernelModuleOptions, MatmulFn } from './kernels.js';
import { ATTN_ARGS, ATTN_JOB, buildKernelModule, DEFAULT_QUANT_GEMV, MATMUL_ARGS } from './kernels.js';
import { codeBytes, isRepacked, repack, scalesOffset, toGguf } from './layout.js';
import { CONTROL_BYTES } from './control-block.js';
import type { WorkerSource } from './pool.js';
import { MAX_THREADS, ThreadPool } from './pool.js';
import { webWorkers } from './web-workers.js';
import { asWasm, WasmTensor } from './wasm-tensor.js';
import { wasm } from './wasm-api.js';

export interface WasmCpuBackendOptions {
  /**
   * Threads that run the matmuls and attention, the caller included (default 1: no workers). In a
   * browser more than 1 needs a cross-origin isolated page (else the backend runs 1 thread and says
   * why in `singleThreadReason`); in Node it needs `createWasmCpuBackend` from '@kvkit/tensor/node'.
   */
  readonly threads?: number;
  /** How long idle workers (and the caller waiting for them) spin before sleeping, in µs (default 200). */
  readonly spinMicros?: number;
  /** Upper bound of the WebAssembly memory in bytes (default and maximum 4 GiB). */
  readonly maximumMemory?: number;
  /** Multiply-adds below which a call runs on the calling thread alone (default 65536). */
  readonly minParallelWork?: number;
  /**
   * How quantised (Q8_0 / Q4_0) GEMVs take the f32 activations. 'exact' (default): x is split into two
   * int16 parts per 32-value block, so results match f32 arithmetic on the dequantised weights (the
   * conformance tolerance). 'int16': one part, about 1.4x faster, with an error up to 2^-16 of each
   * block's largest |x| — still 256x finer than the 8-bit activations llama.cpp uses for these dots.
   */
  readonly activationPrecision?: 'exact' | 'int16';
  /** Kernel tuning knobs, for experiments (defaults: the fastest measured on x86-64). */
  readonly kernels?: Partial<Pick<KernelModuleOptions, 'quantGemv' | 'f32Rows' | 'f32Accumulators' | 'f32Pairs'>>;
}

const MATMUL_FNS = ['matmul_f32', 'matmul_q8_0', 'matmul_q4_0'] as const;
const POOL_FNS = [...MATMUL_FNS, 'attn_heads'] as const;
const FN_ATTN = 3;
const MAX_PAGES = 65536;
const I32_MIN = -0x80000000;

/** Chunk of [0, n) for `threads` threads: about `perThread` chunks each (balance on a busy machine), a multiple of `align`. */
function chunkOf(n: number, threads: number, align: number, perThread = 4): number {
  return Math.max(align, Math.ceil(n / (threads * perThread) / align) * align);
}

export class WasmCpuBackend implements Backend {
  readonly name = 'cpu-wasm';
  /** Threads it runs (the caller included): what was asked for, or 1 where workers cannot share memory. */
  readonly threads: number;
  /** Why it runs 1 thread though more were asked for (undefined when it runs what was asked for). */
  readonly singleThreadReason: string | undefined;
  readonly #heap: Heap;
  readonly #ex: KernelExports;
  readonly #matmuls: MatmulFn[];
  readonly #pool: ThreadPool | undefined;
  readonly #lut: number;
  readonly #minParallel: number;
  /** Per-thread scratch (matmul tiles, attention scores): `threads` slices of `#scratchStride` bytes. */
  #scratch = { ptr: 0, alloc: 0, stride: 0 };
  /** Attention job descriptor and per-call tables. */
  #job = { ptr: 0, alloc: 0, bytes: 0 };
  #disposed = false;
  /** cos / sin of the last decode position's rotary angles. */
  #rope = { pos: -1, headDim: 0, theta: 0, cos: new Float64Array(0), sin: new Float64Array(0) };

  private constructor(heap: Heap, ex: KernelExports, pool: ThreadPool | undefined, lut: number, threads: number, minParallel: number, singleThreadReason: string | undefined) {
    this.#heap = heap;
    this.singleThreadReason = singleThreadReason;
    this.#ex = ex;
    this.#pool = pool;
    this.#lut = lut;
    this.threads = threads;
    this.#minParallel = minParallel;
    this.#matmuls = MATMUL_FNS.map((n) => ex[n]);
  }

  /**
   * A backend whose workers come from `workers` (default: Web Workers, the main entry's choice; the
   * '@kvkit/tensor/node' entry passes node:worker_threads).
   */
  static async create(opts: WasmCpuBackendOptions = {}, workers: WorkerSource = webWorkers): Promise<WasmCpuBackend> {
    const asked = opts.threads ?? 1;
    if (!(Number.isInteger(asked) && asked >= 1 && asked <= MAX_THREADS)) throw new InvalidArgumentError(`threads must be an integer in [1, ${MAX_THREADS}], got ${asked}`);
    const source = asked > 1 ? workers() : undefined;
    const factory = typeof source === 'function' ? source : undefined;
    const threads = factory ? asked : 1;
    const maximumPages = Math.min(MAX_PAGES, Math.floor((opts.maximumMemory ?? MAX_PAGES * PAGE) / PAGE));
    const initialPages = Math.min(maximumPages, 32);
    if (maximumPages < 8) throw new InvalidArgumentError(`maximumMemory must be at least ${8 * PAGE} bytes`);
    const shared = threads > 1;
    const memory = new wasm.Memory({ initial: initialPages, maximum: maximumPages, shared });
    const precision = opts.activationPrecision ?? 'exact';
    if (precision !== 'exact' && precision !== 'int16') throw new InvalidArgumentError(`activationPrecision must be 'exact' or 'int16', got ${String(precision)}`);
    const quantGemv = { ...DEFAULT_QUANT_GEMV, ...opts.kernels?.quantGemv, ...(precision === 'int16' ? { singlePart: true } : {}) };
    const module = await wasm.compile(buildKernelModule({ ...opts.kernels, shared, initialPages, maximumPages, quantGemv }));
    const ex = new wasm.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    const heap = new Heap(memory, maximumPages, 1024);
    const ctl = heap.alloc(CONTROL_BYTES).ptr;
    const lut = heap.alloc(65536 * 4).ptr;
    heap.f32.set(f16Table32(), lut / 4);
    const fns = POOL_FNS.map((n) => ex[n] as (...a: number[]) => void);
    const pool = factory ? await ThreadPool.start({ threads, factory, module, memory, ctl, fnNames: POOL_FNS, fns, spinMicros: opts.spinMicros ?? 200 }) : undefined;
    const reason = source && typeof source !== 'function' ? `${asked} threads asked for, 1 runs: ${source.fallback}` : undefined;
    return new WasmCpuBackend(heap, ex, pool, lut, threads, opts.minParallelWork ?? 65536, reason);
  }

  /** Bytes of the WebAssembly memory: live tensors, the heap's high-water mark, the memory size. */
  get memoryStats(): { live: number; top: number; memory: number } {
    return this.#heap.stats;
  }

  #t(t: Tensor): WasmTensor {
    return asWasm(t, this.#heap, this.name);
  }

  #cpu(t: Tensor): CpuTensor {
    return this.#t(t).cpu();
  }

  /** A scratch slice of at least `bytes` per thread; returns each thread's pointer. */
  #scratchFor(bytes: number): number[] {
    const stride = Math.ceil(bytes / 64) * 64;
    if (stride > this.#scratch.stride) {
      if (this.#scratch.alloc) this.#heap.free(this.#scratch.ptr, this.#scratch.alloc);
      const grown = Math.max(stride, this.#scratch.stride * 2);
      const a = this.#heap.alloc(grown * this.threads);
      this.#scratch = { ptr: a.ptr, alloc: a.size, stride: grown };
    }
    return Array.from({ length: this.threads }, (_, t) => this.#scratch.ptr + t * this.#scratch.stride);
  }

  #jobFor(bytes: number): number {
    if (bytes > this.#job.bytes) {
      if (this.#job.alloc) this.#heap.free(this.#job.ptr, this.#job.alloc);
      const grown = Math.max(bytes, this.#job.bytes * 2);
      const a = this.#heap.alloc(grown);
      this.#job = { ptr: a.ptr, alloc: a.size, bytes: grown };
    }
    return this.#job.ptr;
  }

  tensor(dtype: DType, shape: readonly number[], data?: Uint8Array | Float32Array): Tensor {
    const bytes = byteSize(dtype, numel(shape));
    if (data !== undefined) {
      if (data instanceof Float32Array && dtype !== 'f32') throw new UnsupportedDTypeError(`f32 values given for a ${dtype} tensor: encode them first`);
      if (data.byteLength !== bytes) throw new ShapeMismatchError(`${dtype}[${shape.join(', ')}] needs ${bytes} bytes, got ${data.byteLength}`);
    }
    const t = new WasmTensor(this.name, this.#heap, dtype, shape);
    if (data !== undefined) {
      const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const dst = t.bytes();
      if (isRepacked(dtype)) repack(dtype, raw, dst);
      else dst.set(raw);
    }
    return t;
  }

  write(dst: Tensor, data: Float32Array, offset = 0): void {
    const t = this.#t(dst).requireF32();
    if (offset < 0 || offset + data.length > t.size) throw new ShapeMismatchError(`write of ${data.length} at ${offset} into ${t.size}`);
    this.#heap.refresh();
    this.#heap.f32.set(data, t.ptr / 4 + offset);
  }

  async read(src: Tensor): Promise<Float32Array> {
    const t = this.#t(src);
    if (t.dtype === 'f32') {
      this.#heap.refresh();
      // new + set is a memcpy; slice() over a WebAssembly memory takes a slow path in V8 (~40x).
      const out = new Float32Array(t.size);
      out.set(this.#heap.f32.subarray(t.ptr / 4, t.ptr / 4 + t.size));
      return out;
    }
    if (isRepacked(t.dtype)) return decode(t.dtype, toGguf(t.dtype, t.bytes()), t.size);
    return decode(t.dtype, t.bytes(), t.size);
  }

  embed(out: Tensor, table: Tensor, tokens: Int32Array): void {
    const tab = this.#t(table);
    if (!isRepacked(tab.dtype)) return jsEmbed(this.#cpu(out), tab.cpu(), tokens);
    const o = this.#t(out).requireF32();
    const [vocab, d] = rowsCols(tab);
    if (o.size !== tokens.length * d) throw new ShapeMismatchError(`embed: out[${o.size}] for ${tokens.length} tokens of dim ${d}`);
    const h = this.#heap;
    h.refresh();
    const blocks = d / 32;
    const cb = codeBytes(tab.dtype);
    const scales = tab.ptr + scalesOffset(tab.dtype, vocab * blocks);
    const lut = f16Table32();
    const u8 = h.u8;
    const f = h.f32;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!(t >= 0 && t < vocab)) throw new InvalidArgumentError(`token id ${t} outside the vocabulary of ${vocab}`);
      const od = o.ptr / 4 + i * d;
      for (let b = 0; b < blocks; b++) {
        const sp = scales + 2 * (t * blocks + b);
        const scale = lut[u8[sp]! | (u8[sp + 1]! << 8)]!;
        const cp = tab.ptr + (t * blocks + b) * cb;
        if (tab.dtype === 'q8_0') {
          for (let j = 0; j < 32; j++) f[od + 32 * b + j] = ((u8[cp + j]! << 24) >> 24) * scale;
        } else {
          for (let j = 0; j < 16; j++) {
            const byte = u8[cp + j]!;
            f[od + 32 * b + j] = ((byte & 15) - 8) * scale;
            f[od + 32 * b + j + 16] = ((byte >> 4) - 8) * scale;
          }
        }
      }
    }
  }

  matmul(out: Tensor, x: Tensor, w: Tensor): void {
    const o = this.#t(out);
    const xt = this.#t(x);
    const wt = this.#t(w);
    const [m, k] = rowsCols(xt);
    const [n, wk] = rowsCols(wt);
    const [om, on] = rowsCols(o);
    if (wk !== k || om !== m || on !== n) throw new ShapeMismatchError(`matmul: x[${m}, ${k}] · w[${n}, ${wk}]^T -> out[${om}, ${on}]`);
    o.requireF32();
    xt.requireF32();
    let fn: number;
    let scales = 0;
    switch (wt.dtype) {
      case 'f32':
        fn = 0;
        break;
      case 'q8_0':
      case 'q4_0':
        fn = wt.dtype === 'q8_0' ? 1 : 2;
        scales = wt.ptr + scalesOffset(wt.dtype, (n * k) / 32);
        break;
      case 'f16':
      case 'bf16':
        return jsMatmul(o.cpu(), xt.cpu(), wt.cpu());
      case 'u8':
        throw new UnsupportedDTypeError('matmul: raw u8 tensors are not weights');
      default:
        return wt.dtype satisfies never;
    }
    if (m === 0 || n === 0) return;
    const scratch = fn > 0 ? this.#scratchFor(16 * k) : [0];
    const args = [o.ptr, xt.ptr, wt.ptr, scales, m, n, k, 0, n, scratch[0]!, this.#lut];
    const pool = this.#pool;
    if (!pool || m * n * k < this.#minParallel || n < 8) {
      this.#matmuls[fn]!(...(args as Parameters<MatmulFn>));
      return;
    }
    pool.run({ fn, args, r0Pos: MATMUL_ARGS.r0, r1Pos: MATMUL_ARGS.r1, scratchPos: MATMUL_ARGS.scratch, scratch, total: n, chunk: chunkOf(n, pool.threads, 4) });
  }

  rmsnorm(out: Tensor, x: Tensor, weight: Tensor, eps: number): void {
    rmsnorm(this.#cpu(out), this.#cpu(x), this.#cpu(weight), eps);
  }

  rope(x: Tensor, positions: Int32Array, opts: RopeOptions): void {
    const t = this.#t(x);
    const { nHeads, headDim, theta, layout } = opts;
    const [m, width] = rowsCols(t);
    if (m !== 1 || positions.length !== 1 || t.dtype !== 'f32' || width !== nHeads * headDim || headDim % 2 || headDim <= 0) {
      return rope(t.cpu(), positions, opts); // prefill, and the reference's checks and errors
    }
    // Decode: one position for q and k of every layer; cos / sin computed once, exactly as the reference.
    const half = headDim / 2;
    const pos = positions[0]!;
    const c = this.#rope;
    if (c.pos !== pos || c.headDim !== headDim || c.theta !== theta) {
      if (c.cos.length < half) Object.assign(c, { cos: new Float64Array(half), sin: new Float64Array(half) });
      ropeAngles(pos, headDim, theta, c.cos, c.sin);
      Object.assign(c, { pos, headDim, theta });
    }
    this.#heap.refresh();
    const xs = this.#heap.f32;
    rotateHeads(xs, t.ptr / 4, nHeads, headDim, layout, c.cos, c.sin);
  }

  siluMul(out: Tensor, gate: Tensor, up: Tensor): void {
    const [o, g, u] = [this.#t(out), this.#t(gate), this.#t(up)];
    if (o.dtype !== 'f32' || g.dtype !== 'f32' || u.dtype !== 'f32' || o.size !== g.size || o.size !== u.size) {
      return siluMul(o.cpu(), g.cpu(), u.cpu()); // the reference's checks and errors
    }
    this.#ex.silu_mul(o.ptr, g.ptr, u.ptr, o.size);
  }

  copy(dst: Tensor, src: Tensor, count: number, srcOffset = 0, dstOffset = 0): void {
    const s = this.#t(src).requireF32();
    const d = this.#t(dst).requireF32();
    if (count < 0 || srcOffset < 0 || dstOffset < 0 || srcOffset + count > s.size || dstOffset + count > d.size) {
      throw new ShapeMismatchError(`copy of ${count} from ${srcOffset} of ${s.size} to ${dstOffset} of ${d.size}`);
    }
    this.#heap.refresh();
    this.#heap.u8.copyWithin(d.ptr + 4 * dstOffset, s.ptr + 4 * srcOffset, s.ptr + 4 * (srcOffset + count));
  }

  add(out: Tensor, a: Tensor, b: Tensor): void {
    add(this.#cpu(out), this.#cpu(a), this.#cpu(b));
  }

  softmax(x: Tensor): void {
    softmax(this.#cpu(x));
  }

  kvWrite(k: Tensor, v: Tensor, slots: Int32Array, newK: Tensor, newV: Tensor, format?: KvFormat): void {
    kvWrite(this.#cpu(k), this.#cpu(v), slots, this.#cpu(newK), this.#cpu(newV), format && this.#cpuFormat(format));
  }

  kvQuantize(view: KvView, head: number, start: number, count: number, part: 'key' | 'value'): void {
    kvQuantize(this.#cpuView(view), head, start, count, part);
  }

  kvMove(k: Tensor, v: Tensor, from: Int32Array, to: Int32Array): void {
    kvMove(this.#cpu(k), this.#cpu(v), from, to);
  }

  #cpuFormat(f: KvFormat): KvFormat {
    if (f.kind !== 'kivi') return f;
    return { ...f, keyParams: this.#cpu(f.keyParams), residualK: this.#cpu(f.residualK), residualV: this.#cpu(f.residualV) };
  }

  /** The view with CPU views of its tensors, for the JS kernels. */
  #cpuView(view: KvView): KvView {
    return { ...view, k: this.#cpu(view.k), v: this.#cpu(view.v), ...(view.format ? { format: this.#cpuFormat(view.format) } : {}) };
  }

  attention(out: Tensor, q: Tensor, queryPositions: Int32Array, view: KvView, opts: AttentionOptions): void {
    const o = this.#t(out);
    const qt = this.#t(q);
    const { nHeads, scale } = opts;
    const { nKvHeads, headDim: d, pageSize, pagesPerHead, pageTable, lengths, positions } = view;
    const [m, width] = rowsCols(qt);
    const f32Cache = !view.format || view.format.kind === 'f32';
    // Policy statistics on f32 [nHeads, capacity] tensors (column sums for H2O, window sums for TOVA
    // and the SnapKV family) are accumulated by the WASM kernel; anything else goes to the reference.
    const colSums = opts.stats?.columnSums ? this.#t(opts.stats.columnSums) : undefined;
    const winSums = opts.stats?.windowSums ? this.#t(opts.stats.windowSums) : undefined;
    const statsOk = [colSums, winSums].every((t) => !t || (t.dtype === 'f32' && t.size === nHeads * viewCapacity(view)));
    const plain = f32Cache && statsOk && d % 4 === 0 && d > 0;
    if (!plain || width !== nHeads * d || o.size !== qt.size || queryPositions.length !== m || nHeads % nKvHeads) {
      // The reference kernel: its checks and errors, policy statistics, quantised KV formats.
      const stats = opts.stats && {
        ...opts.stats,
        ...(opts.stats.columnSums ? { columnSums: this.#cpu(opts.stats.columnSums) } : {}),
        ...(opts.stats.windowSums ? { windowSums: this.#cpu(opts.stats.windowSums) } : {}),
      };
      return jsAttention(o.cpu(), qt.cpu(), queryPositions, this.#cpuView(view), { ...opts, ...(stats ? { stats } : {}) });
    }
    o.requireF32();
    qt.requireF32();
    const kt = this.#t(view.k).requireF32();
    const vt = this.#t(view.v).requireF32();
    const [poolSlots, kd] = rowsCols(kt);
    const [vSlots, vd] = rowsCols(vt);
    if (kd !== d || vd !== d || vSlots !== poolSlots) throw new ShapeMismatchError(`attention: K pool [${poolSlots}, ${kd}] and V pool [${vSlots}, ${vd}] for head dim ${d}`);
    const cap = viewCapacity(view);
    let total = 0;
    for (let kh = 0; kh < nKvHeads; kh++) {
      const len = lengths[kh]!;
      if (len > cap) throw new ShapeMismatchError(`attention: head ${kh} holds ${len} > capacity ${cap}`);
      for (let p = 0; p * pageSize < len; p++) {
        const page = pageTable[kh * pagesPerHead + p]!;
        const last = page * pageSize + Math.min(pageSize, len - p * pageSize) - 1;
        if (!(page >= 0 && last < poolSlots)) throw new InvalidArgumentError(`attention: head ${kh} slot ${p * pageSize} maps to page ${page} outside the pool`);
      }
      total += len;
    }
    // Window sums are overwritten: zero them (the kernel adds the window rows' probabilities).
    if (winSums) {
      this.#heap.refresh();
      this.#heap.f32.fill(0, winSums.ptr / 4, winSums.ptr / 4 + winSums.size);
    }
    if (m === 0) return;
    // Job: header, qPos[m], qLo[m], headRows/headPos/headLen[nKv], then per head rows[len], pos[len], pages.
    const J = ATTN_JOB;
    const words = J.words + 2 * m + 3 * nKvHeads + 2 * total + nKvHeads * pagesPerHead;
    const job = this.#jobFor(4 * words);
    const threads = this.#pool ? this.#pool.threads : 1;
    const accOffset = Math.ceil(((cap + 4) * 4) / 64) * 64;
    const scratch = this.#scratchFor(accOffset + 4 * d);
    const h = this.#heap;
    h.refresh();
    const i32v = h.i32;
    const w0 = job / 4;
    i32v[w0 + J.out] = o.ptr;
    i32v[w0 + J.q] = qt.ptr;
    i32v[w0 + J.kPool] = kt.ptr;
    i32v[w0 + J.vPool] = vt.ptr;
    i32v[w0 + J.m] = m;
    i32v[w0 + J.nHeads] = nHeads;
    i32v[w0 + J.group] = nHeads / nKvHeads;
    i32v[w0 + J.d] = d;
    h.f32[w0 + J.scale] = scale;
    i32v[w0 + J.accOffset] = accOffset;
    i32v[w0 + J.colSums] = colSums ? colSums.ptr : 0;
    i32v[w0 + J.capSlots] = cap;
    i32v[w0 + J.winSums] = winSums ? winSums.ptr : 0;
    i32v[w0 + J.winFrom] = m - (opts.stats?.window ?? 0);
    let at = w0 + J.words;
    const win = opts.slidingWindow ?? Infinity;
    i32v[w0 + J.qPos] = 4 * at;
    for (let i = 0; i < m; i++) i32v[at + i] = queryPositions[i]!;
    at += m;
    i32v[w0 + J.qLo] = 4 * at;
    for (let i = 0; i < m; i++) i32v[at + i] = Math.max(I32_MIN, Math.min(0x7fffffff, queryPositions[i]! - win));
    at += m;
    const rowsAt = at;
    const posAt = at + nKvHeads;
    const lenAt = at + 2 * nKvHeads;
    i32v[w0 + J.headRows] = 4 * rowsAt;
    i32v[w0 + J.headPos] = 4 * posAt;
    i32v[w0 + J.headLen] = 4 * lenAt;
    at += 3 * nKvHeads;
    for (let kh = 0; kh < nKvHeads; kh++) {
      const len = lengths[kh]!;
      i32v[lenAt + kh] = len;
      i32v[rowsAt + kh] = 4 * at;
      const rows = at;
      at += len;
      i32v[posAt + kh] = 4 * at;
      i32v.set(positions.subarray(kh * cap, kh * cap + len), at);
      at += len;
      i32v.set(pageTable.subarray(kh * pagesPerHead, (kh + 1) * pagesPerHead), at);
      this.#ex.attn_rows(4 * rows, 4 * at, pageSize, len, 4 * d);
      at += pagesPerHead;
    }
    const pool = this.#pool;
    if (!pool || (total / nKvHeads) * nHeads * m * d < this.#minParallel || nHeads < threads) {
      this.#ex.attn_heads(job, 0, nHeads, scratch[0]!);
      return;
    }
    pool.run({ fn: FN_ATTN, args: [job, 0, nHeads, scratch[0]!], r0Pos: ATTN_ARGS.r0, r1Pos: ATTN_ARGS.r1, scratchPos: ATTN_ARGS.scratch, scratch, total: nHeads, chunk: chunkOf(nHeads, threads, 1, 2) });
  }

  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pool?.dispose();
  }
}

/**
 * A WebAssembly SIMD CPU backend with `threads` threads (default 1). This is the browser-safe entry:
 * threads > 1 run as Web Workers in a cross-origin isolated page (1 thread otherwise, see
 * `singleThreadReason`); in Node it throws ThreadsUnavailableError for threads > 1: use the
 * `createWasmCpuBackend` of '@kvkit/tensor/node'.
 */
export function createWasmCpuBackend(opts: WasmCpuBackendOptions = {}): Promise<WasmCpuBackend> {
  return WasmCpuBackend.create(opts);
}
