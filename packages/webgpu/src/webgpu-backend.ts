// The WebGPU backend: tensors in GPU buffers, one WGSL kernel per op (kernels/*.wgsl.ts). Ops only
// record dispatches into one command encoder (and their small host data into the upload arena);
// `read` is the sync point: it uploads the arena, submits everything recorded since the last read
// (one submit per token in decoding) and maps the result back.
import type { AttentionOptions, Backend, DType, KvFormat, KvView, RopeOptions, Tensor } from '@kvkit/tensor';
import {
  blockInfo,
  byteSize,
  decode,
  DisposedError,
  int8Layout,
  InvalidArgumentError,
  kiviCodeBytes,
  kiviValueGroups,
  numel,
  ropeFrequency,
  ShapeMismatchError,
  UnsupportedDTypeError,
} from '@kvkit/tensor';
import type { ArenaSlice } from './upload-arena.js';
import { UploadArena } from './upload-arena.js';
import { BufferPool } from './buffer-pool.js';
import type { AcquiredDevice, WebGPUBackendOptions } from './device.js';
import { acquireDevice } from './device.js';
import { DeviceLimitError, DeviceLostError, GpuError } from './errors.js';
import { BufferUsage, MapMode } from './gpu-flags.js';
import type { KernelSpec } from './kernels/kernel.js';
import { packParams } from './kernels/kernel.js';
import { PipelineCache } from './pipeline-cache.js';
import type { TensorChunk } from './webgpu-tensor.js';
import { asWebGPU, WebGPUTensor } from './webgpu-tensor.js';
import { addKernel } from './kernels/add.wgsl.js';
import { ATTENTION_TILE } from './kernels/attention-common.wgsl.js';
import { attentionCombineKernel, attentionDecodeKernel, DECODE_CHUNK } from './kernels/attention-decode.wgsl.js';
import { attentionMaxSumKernel, attentionPrefillKernel } from './kernels/attention-prefill.wgsl.js';
import { attentionStatsKernel } from './kernels/attention-stats.wgsl.js';
import { copyKernel } from './kernels/copy.wgsl.js';
import { embedKernel } from './kernels/embed.wgsl.js';
import { GEMM_TILE, gemmKernel } from './kernels/gemm.wgsl.js';
import { gemvF32Kernel } from './kernels/gemv-f32.wgsl.js';
import { gemvHalfKernel } from './kernels/gemv-half.wgsl.js';
import { GEMV_ROWS_MAX_K, gemvRowsKernel } from './kernels/gemv-rows.wgsl.js';
import { gemvQ4_0Kernel } from './kernels/gemv-q4_0.wgsl.js';
import { gemvQ8_0Kernel } from './kernels/gemv-q8_0.wgsl.js';
import { kvMoveKernel } from './kernels/kv-move.wgsl.js';
import { kvWriteEncodedInvocations, kvWriteEncodedKernel, kvWriteKernel } from './kernels/kv-write.wgsl.js';
import { kiviQuantizeKeysKernel, kiviQuantizeValuesKernel } from './kernels/kv-quantize.wgsl.js';
import type { KvLayout } from './kernels/kv-read.wgsl.js';
import { kvLayoutKey, kvLayoutOf } from './kernels/kv-read.wgsl.js';
import { rmsnormKernel } from './kernels/rmsnorm.wgsl.js';
import { ropeKernel } from './kernels/rope.wgsl.js';
import { siluMulKernel } from './kernels/silu-mul.wgsl.js';
import { softmaxKernel } from './kernels/softmax.wgsl.js';

const TENSOR_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
const NO_WINDOW = 0x7fffffff;

type Resource = GPUBuffer | ArenaSlice;

/** Counters for tests and benchmarks. */
export interface WebGPUBackendCounters {
  /** Compute dispatches recorded. */
  readonly dispatches: number;
  /** Command buffers submitted. */
  readonly submits: number;
  /** Compiled pipelines. */
  readonly pipelines: number;
}

/** Create a WebGPU backend: on the given device, or on one requested from an adapter (see options). */
export async function createWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  return new WebGPUBackend(await acquireDevice(opts), opts);
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  readonly device: GPUDevice;
  /** Adapter features the device was created with (e.g. 'shader-f16', 'subgroups'). */
  readonly features: ReadonlySet<string>;
  readonly adapterInfo: AcquiredDevice['adapterInfo'];
  /** Largest buffer this backend allocates; larger weights are split by rows. */
  readonly maxBufferBytes: number;
  readonly #owned: boolean;
  readonly #pipelines: PipelineCache;
  readonly #pool: BufferPool;
  readonly #arena: UploadArena;
  readonly #specs = new Map<string, KernelSpec>();
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #pendingDestroy: GPUBuffer[] = [];
  #lost: DeviceLostError | null = null;
  #gpuError: GpuError | null = null;
  #disposed = false;
  #dispatches = 0;
  #submits = 0;
  #ropeCache: { key: string; positions: Int32Array; table: Uint8Array } | null = null;

  constructor(acquired: AcquiredDevice, opts: Pick<WebGPUBackendOptions, 'maxBufferBytes'> = {}) {
    const device = acquired.device;
    this.device = device;
    this.#owned = acquired.owned;
    this.adapterInfo = acquired.adapterInfo;
    this.features = new Set([...device.features].map(String));
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.maxBufferBytes = Math.max(4, Math.floor(Math.min(limit, opts.maxBufferBytes ?? limit) / 4) * 4);
    this.#pipelines = new PipelineCache(device);
    this.#pool = new BufferPool(device);
    this.#arena = new UploadArena(device, Math.max(device.limits.minUniformBufferOffsetAlignment, device.limits.minStorageBufferOffsetAlignment));
    void device.lost.then((info) => {
      if (!this.#disposed) this.#lost = new DeviceLostError(`WebGPU device lost (${info.reason}): ${info.message}`, String(info.reason));
    });
    const onError = (ev: Event) => {
      const error = (ev as GPUUncapturedErrorEvent).error;
      this.#gpuError ??= new GpuError(`WebGPU error: ${error?.message ?? String(error)}`);
    };
    if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onError);
    else (device as { onuncapturederror: unknown }).onuncapturederror = onError;
  }

  get counters(): WebGPUBackendCounters {
    return { dispatches: this.#dispatches, submits: this.#submits, pipelines: this.#pipelines.size };
  }

  // ---- tensors ----

  tensor(dtype: DType, shape: readonly number[], data?: Uint8Array | Float32Array): Tensor {
    this.#live();
    const size = numel(shape);
    const bytes = byteSize(dtype, size);
    const block = blockInfo(dtype).values;
    if (block > 1 && (shape[shape.length - 1] ?? 0) % block !== 0) {
      throw new ShapeMismatchError(`${dtype}[${shape.join(', ')}]: rows must be whole blocks of ${block} values`);
    }
    let raw: Uint8Array | undefined;
    if (data !== undefined) {
      if (data instanceof Float32Array && dtype !== 'f32') throw new UnsupportedDTypeError(`f32 values given for a ${dtype} tensor: encode them first`);
      raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (raw.byteLength !== bytes) throw new ShapeMismatchError(`${dtype}[${shape.join(', ')}] needs ${bytes} bytes, got ${raw.byteLength}`);
    }
    const chunks = this.#planChunks(dtype, shape, bytes).map((c) => {
      const buffer = this.device.createBuffer({
        label: `${dtype}[${shape.join(',')}]`,
        size: pad4(c.byteLength),
        usage: TENSOR_USAGE,
        mappedAtCreation: raw !== undefined,
      });
      if (raw) {
        new Uint8Array(buffer.getMappedRange()).set(raw.subarray(c.byteStart, c.byteStart + c.byteLength));
        buffer.unmap();
      }
      return { ...c, buffer };
    });
    return new WebGPUTensor(dtype, shape, bytes, chunks, (cs) => this.#release(cs));
  }

  write(dst: Tensor, data: Float32Array, offset = 0): void {
    this.#live();
    const t = f32Of(dst);
    if (offset < 0 || offset + data.length > t.size) throw new ShapeMismatchError(`write of ${data.length} at ${offset} into ${t.size}`);
    if (data.length === 0) return;
    const [slice] = this.#upload([new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]);
    this.#copyEncoder().copyBufferToBuffer(slice!.buffer, slice!.offset, t.buffer, offset * 4, data.byteLength);
  }

  async read(src: Tensor): Promise<Float32Array> {
    this.#live();
    const t = asWebGPU(src);
    const chunks = t.chunks;
    const total = pad4(t.byteLength);
    const staging = this.#pool.acquire(total, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'kvkit readback');
    const enc = this.#copyEncoder();
    for (const c of chunks) if (c.byteLength) enc.copyBufferToBuffer(c.buffer, 0, staging, c.byteStart, pad4(c.byteLength));
    this.#flush();
    let bytes: Uint8Array;
    try {
      await staging.mapAsync(MapMode.READ, 0, total);
      bytes = new Uint8Array(staging.getMappedRange(0, total).slice(0));
      staging.unmap();
    } catch (e) {
      throw this.#lost ?? (this.#disposed ? new DisposedError('backend disposed during read') : new GpuError(`WebGPU readback failed: ${String(e)}`));
    }
    this.#pool.release(staging);
    await this.#pipelines.checkCompiles();
    this.#throwGpuError();
    if (t.dtype === 'f32') return new Float32Array(bytes.buffer, 0, t.size);
    return decode(t.dtype, bytes, t.size);
  }

  /** Submit what was recorded so far without waiting (reads do this themselves). */
  submit(): void {
    this.#live();
    this.#flush();
  }

  /** Compile the kernels a model of this head dim and these weight dtypes uses, ahead of the first token. */
  async prepare(opts: { readonly headDim?: number; readonly weightDTypes?: readonly DType[] } = {}): Promise<void> {
    const specs: KernelSpec[] = [rmsnormKernel(false), rmsnormKernel(true), ropeKernel('adjacent'), ropeKernel('half'), addKernel(true, false), siluMulKernel(true, false), copyKernel(false), kvWriteKernel(), kvMoveKernel(true), softmaxKernel()];
    for (const dt of opts.weightDTypes ?? ['f32']) specs.push(gemvKernel(dt), gemmKernel(dt), embedKernel(dt));
    if (opts.headDim) {
      const d = opts.headDim;
      specs.push(attentionPrefillKernel(d, false), attentionPrefillKernel(d, true), attentionDecodeKernel(d), attentionCombineKernel(d, false), attentionCombineKernel(d, true));
    }
    await Promise.all(specs.map((s) => this.#pipelines.prepare(this.#specOf(s.key, () => s))));
  }

  // ---- ops ----

  embed(out: Tensor, table: Tensor, tokens: Int32Array): void {
    this.#live();
    const o = f32Of(out);
    const tb = asWebGPU(table);
    const [vocab, d] = [tb.rows, tb.cols];
    if (o.size !== tokens.length * d) throw new ShapeMismatchError(`embed: out[${o.size}] for ${tokens.length} tokens of dim ${d}`);
    for (const t of tokens) if (!(t >= 0 && t < vocab)) throw new InvalidArgumentError(`token id ${t} outside the vocabulary of ${vocab}`);
    if (o.size === 0) return;
    const spec = this.#kernel(`embed-${tb.dtype}`, () => embedKernel(tb.dtype));
    const chunks = tb.chunks;
    const [toks, ...params] = this.#upload([bytesOf(tokens), ...chunks.map((c) => packParams(spec.params, [o.size, d, c.rowStart, c.rows]))]);
    chunks.forEach((c, i) => this.#dispatch(spec, [params[i]!, toks!, c.buffer, o.buffer], Math.ceil(o.size / 256)));
  }

  matmul(out: Tensor, x: Tensor, w: Tensor): void {
    this.#live();
    const o = f32Of(out);
    const xs = f32Of(x);
    const wt = asWebGPU(w);
    const [m, k] = [xs.rows, xs.cols];
    const [n, wk] = [wt.rows, wt.cols];
    if (wk !== k || o.rows !== m || o.cols !== n) throw new ShapeMismatchError(`matmul: x[${m}, ${k}] · w[${n}, ${wk}]^T -> out[${o.rows}, ${o.cols}]`);
    noAlias('matmul', [o], [xs, wt]);
    if (wt.dtype === 'u8') throw new UnsupportedDTypeError('matmul: raw u8 tensors are not weights');
    if (m === 0 || n === 0) return;
    const kind = matmulKind(m, n, k);
    const spec =
      kind === 'rows'
        ? this.#kernel(`gemv-rows-${wt.dtype}`, () => gemvRowsKernel(wt.dtype))
        : kind === 'gemv'
          ? this.#kernel(`gemv-${wt.dtype}`, () => gemvKernel(wt.dtype))
          : this.#kernel(`gemm-${wt.dtype}`, () => gemmKernel(wt.dtype));
    const chunks = wt.chunks;
    const params = this.#upload(chunks.map((c) => packParams(spec.params, [m, n, k, c.rows, c.rowStart])));
    chunks.forEach((c, i) => {
      const groups: number | [number, number] =
        kind === 'rows' ? Math.ceil((m * c.rows) / 64) : kind === 'gemv' ? c.rows : [Math.ceil(c.rows / GEMM_TILE), Math.ceil(m / GEMM_TILE)];
      this.#dispatch(spec, [params[i]!, xs.buffer, c.buffer, o.buffer], groups);
    });
  }

  rmsnorm(out: Tensor, x: Tensor, weight: Tensor, eps: number): void {
    this.#live();
    const o = f32Of(out);
    const xs = f32Of(x);
    const wt = f32Of(weight);
    const [m, d] = [xs.rows, xs.cols];
    if (wt.size !== d || o.size !== xs.size) throw new ShapeMismatchError(`rmsnorm: x[${m}, ${d}], weight[${wt.size}], out[${o.size}]`);
    if (wt === o) throw new InvalidArgumentError('rmsnorm: the weight cannot be the output');
    if (m === 0 || d === 0) return;
    const inPlace = o === xs;
    const spec = this.#kernel(`rmsnorm-${inPlace}`, () => rmsnormKernel(inPlace));
    const [p] = this.#upload([packParams(spec.params, [m, d, eps])]);
    this.#dispatch(spec, inPlace ? [p!, wt.buffer, o.buffer] : [p!, wt.buffer, o.buffer, xs.buffer], m);
  }

  rope(x: Tensor, positions: Int32Array, opts: RopeOptions): void {
    this.#live();
    const t = f32Of(x);
    const { nHeads, headDim, theta, layout } = opts;
    const [m, width] = [t.rows, t.cols];
    if (width !== nHeads * headDim || positions.length !== m) {
      throw new ShapeMismatchError(`rope: x[${m}, ${width}] with ${nHeads} heads of ${headDim} and ${positions.length} positions`);
    }
    if (headDim % 2) throw new InvalidArgumentError(`rope needs an even head dim, got ${headDim}`);
    if (layout !== 'adjacent' && layout !== 'half') throw new InvalidArgumentError(`unknown rope layout ${String(layout)}`);
    const half = headDim / 2;
    const count = m * nHeads * half;
    if (count === 0) return;
    const spec = this.#kernel(`rope-${layout}`, () => ropeKernel(layout));
    const [p, table] = this.#upload([packParams(spec.params, [count, nHeads, half]), this.#ropeTable(positions, headDim, theta)]);
    this.#dispatch(spec, [p!, table!, t.buffer], Math.ceil(count / 256));
  }

  siluMul(out: Tensor, gate: Tensor, up: Tensor): void {
    this.#live();
    const o = f32Of(out);
    const g = f32Of(gate);
    const u = f32Of(up);
    sameSize('siluMul', o, g, u);
    if (o.size === 0) return;
    const [ag, au] = [g === o, u === o];
    const spec = this.#kernel(`silu-mul-${ag}-${au}`, () => siluMulKernel(ag, au));
    const [p] = this.#upload([packParams(spec.params, [o.size])]);
    this.#dispatch(spec, [p!, o.buffer, ...(ag ? [] : [g.buffer]), ...(au ? [] : [u.buffer])], Math.ceil(o.size / 256));
  }

  copy(dst: Tensor, src: Tensor, count: number, srcOffset = 0, dstOffset = 0): void {
    this.#live();
    const d = f32Of(dst);
    const s = f32Of(src);
    if (count < 0 || srcOffset < 0 || dstOffset < 0 || srcOffset + count > s.size || dstOffset + count > d.size) {
      throw new ShapeMismatchError(`copy of ${count} from ${srcOffset} of ${s.size} to ${dstOffset} of ${d.size}`);
    }
    if (count === 0) return;
    if (d !== s) return this.#copy(d.buffer, s.buffer, count, srcOffset, dstOffset);
    if (srcOffset === dstOffset) return;
    if (srcOffset + count <= dstOffset || dstOffset + count <= srcOffset) return this.#copy(d.buffer, d.buffer, count, srcOffset, dstOffset);
    // Overlapping ranges of one tensor: bounce through a temporary (memmove semantics, as the CPU backend).
    const tmp = this.#pool.acquire(count * 4, TENSOR_USAGE, 'kvkit copy bounce');
    this.#copy(tmp, d.buffer, count, srcOffset, 0);
    this.#copy(d.buffer, tmp, count, 0, dstOffset);
    this.#pool.release(tmp);
  }

  add(out: Tensor, a: Tensor, b: Tensor): void {
    this.#live();
    const o = f32Of(out);
    const x = f32Of(a);
    const y = f32Of(b);
    sameSize('add', o, x, y);
    if (o.size === 0) return;
    const [aa, ab] = [x === o, y === o];
    const spec = this.#kernel(`add-${aa}-${ab}`, () => addKernel(aa, ab));
    const [p] = this.#upload([packParams(spec.params, [o.size])]);
    this.#dispatch(spec, [p!, o.buffer, ...(aa ? [] : [x.buffer]), ...(ab ? [] : [y.buffer])], Math.ceil(o.size / 256));
  }

  softmax(x: Tensor): void {
    this.#live();
    const t = f32Of(x);
    if (t.size === 0) return;
    const spec = this.#kernel('softmax', softmaxKernel);
    const [p] = this.#upload([packParams(spec.params, [t.rows, t.cols])]);
    this.#dispatch(spec, [p!, t.buffer], t.rows);
  }

  kvWrite(k: Tensor, v: Tensor, slots: Int32Array, newK: Tensor, newV: Tensor, format?: KvFormat): void {
    this.#live();
    const [kp, vp] = [asWebGPU(k), asWebGPU(v)];
    const [nk, nv] = [f32Of(newK), f32Of(newV)];
    const [rows, rowLen] = [kp.rows, kp.cols];
    const [m, width] = [nk.rows, nk.cols];
    const nKv = m === 0 ? 1 : slots.length / m;
    const d = width / nKv;
    const int8 = format?.kind === 'int8';
    const expectRow = int8 ? int8Layout(d).slotBytes : d;
    if (!Number.isInteger(nKv) || !Number.isInteger(d) || nv.size !== nk.size || vp.size !== kp.size || rowLen !== expectRow) {
      throw new ShapeMismatchError(`kvWrite: rows [${rows}, ${rowLen}], new [${m}, ${width}], ${slots.length} slots`);
    }
    if (int8 !== (kp.dtype === 'u8')) throw new UnsupportedDTypeError(`kvWrite: ${kp.dtype} rows with format ${format?.kind ?? 'f32'}`);
    if (vp.dtype !== kp.dtype) throw new UnsupportedDTypeError(`kvWrite: K rows of ${kp.dtype}, V rows of ${vp.dtype}`);
    const kind = kp.dtype;
    if (kind !== 'f32' && kind !== 'f16' && kind !== 'bf16' && kind !== 'u8') throw new UnsupportedDTypeError(`kvWrite: ${kind} rows`);
    for (const s of slots) if (!(s >= 0 && s < rows)) throw new InvalidArgumentError(`kvWrite: slot ${s} outside ${rows} rows`);
    noAlias('kvWrite', [kp, vp], [nk, nv]);
    if (slots.length === 0 || d === 0) return;
    if (kind === 'f32') {
      const spec = this.#kernel('kv-write', kvWriteKernel);
      const [p, sl] = this.#upload([packParams(spec.params, [slots.length * d, d]), bytesOf(lastWriteWins(slots))]);
      this.#dispatch(spec, [p!, sl!, nk.buffer, nv.buffer, kp.buffer, vp.buffer], Math.ceil((slots.length * d) / 256));
      return;
    }
    // f16 / bf16 rows or int8 blocks, encoded on the GPU exactly as the CPU backend encodes them.
    const enc = kind === 'u8' ? 'int8' : kind;
    const spec = this.#kernel(`kv-write-${enc}-d${d}`, () => kvWriteEncodedKernel(enc, d));
    const [p, sl] = this.#upload([packParams(spec.params, [slots.length]), bytesOf(lastWriteWins(slots))]);
    this.#dispatch(spec, [p!, sl!, nk.buffer, nv.buffer, kp.buffer, vp.buffer], Math.ceil(kvWriteEncodedInvocations(enc, d, slots.length) / 64));
  }

  kvQuantize(view: KvView, head: number, start: number, count: number, part: 'key' | 'value'): void {
    this.#live();
    const f = view.format;
    if (f?.kind !== 'kivi') throw new UnsupportedDTypeError(`kvQuantize needs a KIVI view, got ${f?.kind ?? 'f32'}`);
    const { headDim: d, pageSize: ps, pagesPerHead, nKvHeads } = view;
    const { residual: R, group: G, bits } = f;
    if (!(Number.isInteger(head) && head >= 0 && head < nKvHeads)) throw new InvalidArgumentError(`kvQuantize: head ${head} of ${nKvHeads}`);
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count > 0 && start + count <= view.lengths[head]!)) {
      throw new InvalidArgumentError(`kvQuantize: slots [${start}, ${start + count}) of ${view.lengths[head]}`);
    }
    if (part === 'key' && (start % G || count % G)) throw new InvalidArgumentError(`kvQuantize: key groups must be whole groups of ${G}`);
    const pool = asWebGPU(part === 'key' ? view.k : view.v);
    const ring = asWebGPU(part === 'key' ? f.residualK : f.residualV);
    const codeBytes = kiviCodeBytes(d, bits);
    const rowBytes = part === 'key' ? codeBytes : codeBytes + 4 * kiviValueGroups(d, G);
    if (pool.dtype !== 'u8' || pool.cols !== rowBytes) throw new ShapeMismatchError(`kvQuantize: ${part} pool ${pool.dtype}[${pool.rows}, ${pool.cols}] for rows of ${rowBytes} bytes`);
    if (ring.dtype !== 'f16' || ring.cols !== d || ring.rows !== nKvHeads * R) throw new ShapeMismatchError(`kvQuantize: residual ring ${ring.dtype}[${ring.rows}, ${ring.cols}] for ${nKvHeads} x ${R} rows of ${d}`);
    const table = view.pageTable.slice(head * pagesPerHead, (head + 1) * pagesPerHead);
    for (let pg = Math.floor(start / ps); pg <= Math.floor((start + count - 1) / ps); pg++) {
      if (!(table[pg]! >= 0 && (table[pg]! + 1) * ps <= pool.rows)) throw new InvalidArgumentError(`kvQuantize: head ${head} page ${pg} maps to ${table[pg]} outside the pool`);
    }
    const params = [head, start, count, R, ((f.ringBase[head]! % R) + R) % R, ps];
    if (part === 'key') {
      const kparams = asWebGPU(f.keyParams);
      if (kparams.dtype !== 'u8' || kparams.cols !== 4 * d || kparams.rows * G < pool.rows) throw new ShapeMismatchError(`kvQuantize: key parameters ${kparams.dtype}[${kparams.rows}, ${kparams.cols}]`);
      noAlias('kvQuantize', [pool, kparams], [ring]);
      const spec = this.#kernel(`kivi-quantize-keys-d${d}-b${bits}-g${G}`, () => kiviQuantizeKeysKernel(d, bits, G));
      const [p, pt] = this.#upload([packParams(spec.params, params), bytesOf(table)]);
      this.#dispatch(spec, [p!, pt!, ring.buffer, pool.buffer, kparams.buffer], count / G);
    } else {
      noAlias('kvQuantize', [pool], [ring]);
      const spec = this.#kernel(`kivi-quantize-values-d${d}-b${bits}-g${G}`, () => kiviQuantizeValuesKernel(d, bits, G));
      const [p, pt] = this.#upload([packParams(spec.params, params), bytesOf(table)]);
      this.#dispatch(spec, [p!, pt!, ring.buffer, pool.buffer], Math.ceil(count / 64));
    }
  }

  kvMove(k: Tensor, v: Tensor, from: Int32Array, to: Int32Array): void {
    this.#live();
    const [kp, vp] = [asWebGPU(k), asWebGPU(v)];
    const rows = kp.rows;
    if (from.length !== to.length) throw new ShapeMismatchError(`kvMove: ${from.length} sources, ${to.length} targets`);
    const pairs = new Int32Array(2 * from.length);
    for (let i = 0; i < from.length; i++) {
      const [a, b] = [from[i]!, to[i]!];
      if (!(a >= 0 && a < rows && b >= 0 && b < rows)) throw new InvalidArgumentError(`kvMove: row outside ${rows} rows`);
      pairs[2 * i] = a;
      pairs[2 * i + 1] = b;
    }
    noAlias('kvMove', [kp, vp], []);
    if (from.length === 0 || rows === 0) return;
    // Rows of any format, moved as bytes: u32 words when every row is word-aligned.
    const [kb, vb] = [kp.byteLength / rows, vp.byteLength / vp.rows];
    if (vp.rows !== rows || kb !== vb) throw new ShapeMismatchError(`kvMove: K rows of ${kb} bytes and V rows of ${vb} bytes`);
    const words = kb % 4 === 0;
    const spec = this.#kernel(`kv-move-${words}`, () => kvMoveKernel(words));
    const [p, ft] = this.#upload([packParams(spec.params, [from.length, words ? kb / 4 : kb]), bytesOf(pairs)]);
    this.#dispatch(spec, [p!, ft!, kp.buffer, vp.buffer], words ? Math.ceil((2 * kb) / 4 / 64) : 1);
  }

  attention(out: Tensor, q: Tensor, queryPositions: Int32Array, view: KvView, opts: AttentionOptions): void {
    this.#live();
    const o = f32Of(out);
    const qs = f32Of(q);
    const { nHeads, scale } = opts;
    const { nKvHeads, headDim: d, pageSize, pagesPerHead, pageTable, lengths, positions } = view;
    const [m, width] = [qs.rows, qs.cols];
    if (width !== nHeads * d || o.size !== qs.size || queryPositions.length !== m) {
      throw new ShapeMismatchError(`attention: q[${m}, ${width}] for ${nHeads} heads of ${d}, out[${o.size}], ${queryPositions.length} positions`);
    }
    if (!(nKvHeads > 0) || nHeads % nKvHeads) throw new InvalidArgumentError(`attention: ${nHeads} query heads over ${nKvHeads} KV heads`);
    const layout = kvLayoutOf(view.format);
    const pools = this.#kvPools(view, layout);
    const [kp, vp] = [pools[0]!, pools[1]!];
    const poolSlots = kp.rows;
    const cap = pagesPerHead * pageSize;
    const colSums = opts.stats?.columnSums ? f32Of(opts.stats.columnSums) : undefined;
    const winSums = opts.stats?.windowSums ? f32Of(opts.stats.windowSums) : undefined;
    for (const s of [colSums, winSums]) {
      if (s && s.size !== nHeads * cap) throw new ShapeMismatchError(`attention stats need [${nHeads}, ${cap}], got ${s.size}`);
    }
    if (pageTable.length < nKvHeads * pagesPerHead || lengths.length < nKvHeads || positions.length < nKvHeads * cap) {
      throw new ShapeMismatchError(`attention: view arrays too short for ${nKvHeads} KV heads of ${pagesPerHead} pages of ${pageSize}`);
    }
    let maxLen = 0;
    for (let kh = 0; kh < nKvHeads; kh++) {
      const len = lengths[kh]!;
      if (!(len >= 0 && len <= cap)) throw new ShapeMismatchError(`attention: head ${kh} holds ${len} > capacity ${cap}`);
      for (let pg = 0; pg * pageSize < len; pg++) {
        const page = pageTable[kh * pagesPerHead + pg]!;
        const last = Math.min(len, (pg + 1) * pageSize) - 1;
        if (!(page >= 0 && page * pageSize + (last % pageSize) < poolSlots)) {
          throw new InvalidArgumentError(`attention: head ${kh} slot ${last} maps to page ${page} outside the pool`);
        }
      }
      maxLen = Math.max(maxLen, len);
    }
    noAlias('attention', [o, ...(colSums ? [colSums] : []), ...(winSums ? [winSums] : [])], [qs, ...pools]);
    if (d === 0) return;

    const stats = colSums !== undefined || winSums !== undefined;
    const decodePath = m === 1;
    const nChunks = decodePath ? Math.max(1, Math.ceil(maxLen / DECODE_CHUNK)) : 1;
    const nKv = nKvHeads;
    const kivi = view.format?.kind === 'kivi' ? view.format : undefined;
    const oQuery = nKv * pagesPerHead + nKv + nKv * cap;
    const meta = new Int32Array(oQuery + m + (kivi ? 3 * nKv : 0));
    meta.set(pageTable.subarray(0, nKv * pagesPerHead), 0);
    meta.set(lengths.subarray(0, nKv), nKv * pagesPerHead);
    meta.set(positions.subarray(0, nKv * cap), nKv * pagesPerHead + nKv);
    meta.set(queryPositions, oQuery);
    if (kivi) {
      // Per head: keys / values below these logical slots are codes; ring row of slot j is (j + base) % R.
      const R = kivi.residual;
      for (let kh = 0; kh < nKv; kh++) {
        meta[oQuery + m + kh] = kivi.keyQuantized[kh]!;
        meta[oQuery + m + nKv + kh] = kivi.valueQuantized[kh]!;
        meta[oQuery + m + 2 * nKv + kh] = ((kivi.ringBase[kh]! % R) + R) % R;
      }
    }
    const window = opts.slidingWindow === undefined || opts.slidingWindow >= NO_WINDOW ? NO_WINDOW : Math.max(0, Math.floor(opts.slidingWindow));
    const winQueries = Math.min(m, Math.max(0, Math.floor(opts.stats?.window ?? 0)));
    const lk = kvLayoutKey(layout);
    const prefill = attentionPrefillKernel; // (names for the kernel cache below)
    const params = [m, nHeads, nHeads / nKv, cap, pageSize, pagesPerHead, 0, nKv * pagesPerHead, nKv * pagesPerHead + nKv, oQuery, scale, window, DECODE_CHUNK, nChunks, winQueries, nKv, kivi?.residual ?? 0, oQuery + m];
    const anySpec = this.#kernel(`attention-prefill-${d}-false${lk}`, () => prefill(d, false, layout));
    const [p, mt] = this.#upload([packParams(anySpec.params, params), bytesOf(meta)]);
    const ml = stats ? this.#pool.acquire(Math.max(8, m * nHeads * 8), TENSOR_USAGE, 'kvkit attention (max, sum)') : undefined;
    const poolBuffers = pools.map((t) => t.buffer);
    const keyBuffers = kivi ? [poolBuffers[0]!, poolBuffers[2]!, poolBuffers[3]!] : [poolBuffers[0]!];

    if (decodePath) {
      const part = this.#pool.acquire(nHeads * nChunks * (d + 2) * 4, TENSOR_USAGE, 'kvkit attention partials');
      const split = this.#kernel(`attention-decode-${d}${lk}`, () => attentionDecodeKernel(d, layout));
      const combine = this.#kernel(`attention-combine-${d}-${stats}`, () => attentionCombineKernel(d, stats));
      this.#dispatch(split, [p!, mt!, qs.buffer, ...poolBuffers, part], nHeads * nChunks);
      this.#dispatch(combine, [p!, part, o.buffer, ...(ml ? [ml] : [])], [nHeads, 1]);
      this.#pool.release(part);
    } else if (ml && kivi) {
      // KIVI binds five pools: the (max, sum) come from a keys-only pass (eight storage buffers at most).
      const spec = this.#kernel(`attention-prefill-${d}-false${lk}`, () => prefill(d, false, layout));
      this.#dispatch(spec, [p!, mt!, qs.buffer, ...poolBuffers, o.buffer], m * nHeads);
      const ms = this.#kernel(`attention-max-sum-${d}${lk}`, () => attentionMaxSumKernel(d, layout));
      this.#dispatch(ms, [p!, mt!, qs.buffer, ...keyBuffers, ml], m * nHeads);
    } else {
      const spec = this.#kernel(`attention-prefill-${d}-${stats}${lk}`, () => prefill(d, stats, layout));
      this.#dispatch(spec, [p!, mt!, qs.buffer, ...poolBuffers, o.buffer, ...(ml ? [ml] : [])], m * nHeads);
    }
    if (ml) {
      const [c, w] = [colSums !== undefined, winSums !== undefined];
      const spec = this.#kernel(`attention-stats-${d}-${c}-${w}${lk}`, () => attentionStatsKernel(d, c, w, layout));
      const extra = [...(colSums ? [colSums.buffer] : []), ...(winSums ? [winSums.buffer] : [])];
      this.#dispatch(spec, [p!, mt!, qs.buffer, ...keyBuffers, ml, ...extra], Math.ceil((nHeads * cap) / ATTENTION_TILE));
      this.#pool.release(ml);
    }
  }

  /** The tensors attention reads for a view's format, in binding order (K, V, then KIVI's key parameters and rings), checked. */
  #kvPools(view: KvView, layout: KvLayout): WebGPUTensor[] {
    const d = view.headDim;
    const [k, v] = [asWebGPU(view.k), asWebGPU(view.v)];
    const check = (t: WebGPUTensor, dtype: DType, cols: number, rows: number, what: string) => {
      if (t.dtype !== dtype || t.cols !== cols || t.rows !== rows) {
        if (t.disposed) throw new DisposedError('tensor used after dispose');
        throw new ShapeMismatchError(`attention: ${what} ${t.dtype}[${t.rows}, ${t.cols}] for ${layout.kind} rows of head dim ${d} (expected ${dtype}[${rows}, ${cols}])`);
      }
    };
    const slots = k.rows;
    switch (layout.kind) {
      case 'f32':
      case 'f16':
      case 'bf16':
        check(k, layout.kind, d, slots, 'K pool');
        check(v, layout.kind, d, slots, 'V pool');
        return [k, v];
      case 'int8':
        check(k, 'u8', int8Layout(d).slotBytes, slots, 'K pool');
        check(v, 'u8', int8Layout(d).slotBytes, slots, 'V pool');
        return [k, v];
      case 'kivi': {
        const f = view.format as Extract<KvFormat, { kind: 'kivi' }>;
        const cb = kiviCodeBytes(d, layout.bits);
        const [kp, rk, rv] = [asWebGPU(f.keyParams), asWebGPU(f.residualK), asWebGPU(f.residualV)];
        check(k, 'u8', cb, slots, 'K pool');
        check(v, 'u8', cb + 4 * kiviValueGroups(d, layout.group), slots, 'V pool');
        check(kp, 'u8', 4 * d, slots / layout.group, 'key parameters');
        check(rk, 'f16', d, view.nKvHeads * f.residual, 'K residual ring');
        check(rv, 'f16', d, view.nKvHeads * f.residual, 'V residual ring');
        if (!(f.residual > 0) || slots % layout.group) throw new InvalidArgumentError(`attention: KIVI residual ${f.residual}, group ${layout.group}, ${slots} pool slots`);
        return [k, v, kp, rk, rv];
      }
      default:
        return layout satisfies never;
    }
  }

  // ---- lifetime ----

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#encoder = null;
    this.#pass = null;
    for (const b of this.#pendingDestroy) b.destroy();
    this.#pendingDestroy = [];
    this.#pool.destroy();
    this.#arena.destroy();
    if (this.#owned) this.device.destroy();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- internals ----

  #live(): void {
    if (this.#disposed) throw new DisposedError('webgpu backend used after dispose');
    if (this.#lost) throw this.#lost;
  }

  #throwGpuError(): void {
    const e = this.#gpuError;
    if (e) {
      this.#gpuError = null;
      throw e;
    }
  }

  #kernel(key: string, make: () => KernelSpec): KernelSpec {
    return this.#specOf(key, make);
  }

  #specOf(key: string, make: () => KernelSpec): KernelSpec {
    let s = this.#specs.get(key);
    if (!s) this.#specs.set(key, (s = make()));
    return s;
  }

  #planChunks(dtype: DType, shape: readonly number[], bytes: number): Omit<TensorChunk, 'buffer'>[] {
    const cols = shape[shape.length - 1] ?? 1;
    const rows = cols === 0 ? 0 : numel(shape) / cols;
    if (pad4(bytes) <= this.maxBufferBytes || rows <= 1) {
      if (pad4(bytes) > this.maxBufferBytes) throw new DeviceLimitError(`a ${dtype}[${shape.join(', ')}] tensor of ${bytes} bytes exceeds the device's ${this.maxBufferBytes}-byte buffers`);
      return [{ rowStart: 0, rows, byteStart: 0, byteLength: bytes }];
    }
    const rowBytes = bytes / rows;
    let per = Math.floor(this.maxBufferBytes / rowBytes);
    if ((per * rowBytes) % 4) per -= 1; // rowBytes is even for every dtype: an even row count keeps chunks word-aligned
    if (per < 1) throw new DeviceLimitError(`one row of ${rowBytes} bytes of a ${dtype}[${shape.join(', ')}] tensor exceeds the device's ${this.maxBufferBytes}-byte buffers`);
    const chunks: Omit<TensorChunk, 'buffer'>[] = [];
    for (let r = 0; r < rows; r += per) {
      const n = Math.min(per, rows - r);
      chunks.push({ rowStart: r, rows: n, byteStart: r * rowBytes, byteLength: n * rowBytes });
    }
    return chunks;
  }

  #release(chunks: readonly TensorChunk[]): void {
    if (this.#disposed) return;
    for (const c of chunks) {
      // Commands recorded but not yet submitted may still use the buffer: destroy it after the submit.
      if (this.#encoder) this.#pendingDestroy.push(c.buffer);
      else c.buffer.destroy();
    }
  }

  /** Put host data of one op in the arena (submitting first if this batch is full). */
  #upload(parts: readonly Uint8Array[]): ArenaSlice[] {
    const sizes = parts.map((d) => d.byteLength);
    if (!this.#arena.fits(sizes)) {
      this.#flush();
      this.#arena.reserve(sizes);
    }
    return parts.map((d) => this.#arena.push(d));
  }

  #commandEncoder(): GPUCommandEncoder {
    return (this.#encoder ??= this.device.createCommandEncoder({ label: 'kvkit batch' }));
  }

  #computePass(): GPUComputePassEncoder {
    return (this.#pass ??= this.#commandEncoder().beginComputePass({ label: 'kvkit ops' }));
  }

  #copyEncoder(): GPUCommandEncoder {
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    return this.#commandEncoder();
  }

  #dispatch(spec: KernelSpec, resources: readonly Resource[], groups: number | readonly [number, number]): void {
    const [x, y] = typeof groups === 'number' ? this.#grid(groups) : groups;
    if (x === 0 || y === 0) return;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max) throw new DeviceLimitError(`${spec.key}: ${x} x ${y} workgroups exceed the device's ${max} per dimension`);
    const { pipeline, layout } = this.#pipelines.get(spec);
    const bindGroup = this.device.createBindGroup({
      layout,
      entries: resources.map((r, binding) => ({
        binding,
        resource: 'offset' in r ? { buffer: r.buffer, offset: r.offset, size: r.size } : { buffer: r },
      })),
    });
    const pass = this.#computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y);
    this.#dispatches++;
  }

  /** A linear workgroup count as a 2D grid (kernels recover the index with linear_wg). */
  #grid(n: number): [number, number] {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    return n <= max ? [n, 1] : [max, Math.ceil(n / max)];
  }

  #copy(dst: GPUBuffer, src: GPUBuffer, count: number, srcOffset: number, dstOffset: number): void {
    const same = dst === src;
    const spec = this.#kernel(`copy-${same}`, () => copyKernel(same));
    const [p] = this.#upload([packParams(spec.params, [count, srcOffset, dstOffset])]);
    this.#dispatch(spec, same ? [p!, dst] : [p!, dst, src], Math.ceil(count / 256));
  }

  /** cos/sin per (row, pair) exactly as the CPU backend computes them (f32 angle, cos/sin in float64). */
  #ropeTable(positions: Int32Array, headDim: number, theta: number): Uint8Array {
    const key = `${headDim}:${theta}`;
    const c = this.#ropeCache;
    if (c && c.key === key && c.positions.length === positions.length && c.positions.every((v, i) => v === positions[i])) return c.table;
    const half = headDim / 2;
    const freq = new Float64Array(half);
    for (let p = 0; p < half; p++) freq[p] = ropeFrequency(theta, headDim, p);
    const table = new Float32Array(positions.length * half * 2);
    positions.forEach((pos, i) => {
      for (let p = 0; p < half; p++) {
        const angle = Math.fround(pos * freq[p]!);
        table[2 * (i * half + p)] = Math.cos(angle);
        table[2 * (i * half + p) + 1] = Math.sin(angle);
      }
    });
    const bytes = new Uint8Array(table.buffer);
    this.#ropeCache = { key, positions: positions.slice(), table: bytes };
    return bytes;
  }

  #flush(): void {
    if (!this.#encoder) return;
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    this.#arena.upload(this.device.queue);
    this.device.queue.submit([this.#encoder.finish()]);
    this.#encoder = null;
    this.#submits++;
    for (const b of this.#pendingDestroy) b.destroy();
    this.#pendingDestroy = [];
  }
}

/**
 * Which matmul kernel: 'rows' (an invocation per output, for short rows or tiny products),
 * 'gemv' (a workgroup per weight row, decoding) or 'gemm' (16 x 16 tiles, prefill).
 */
export function matmulKind(m: number, n: number, k: number): 'rows' | 'gemv' | 'gemm' {
  if (m === 1) return k <= GEMV_ROWS_MAX_K ? 'rows' : 'gemv';
  return m * n * k <= SMALL_PRODUCT ? 'rows' : 'gemm';
}

/** Products up to this many multiply-adds run one invocation per output (no tiles, no barriers). */
const SMALL_PRODUCT = 1 << 16;

function gemvKernel(dtype: DType): KernelSpec {
  switch (dtype) {
    case 'f32':
      return gemvF32Kernel();
    case 'f16':
    case 'bf16':
      return gemvHalfKernel(dtype);
    case 'q8_0':
      return gemvQ8_0Kernel();
    case 'q4_0':
      return gemvQ4_0Kernel();
    case 'u8':
      throw new UnsupportedDTypeError('matmul: raw u8 tensors are not weights');
    default:
      return dtype satisfies never;
  }
}

/** An f32 WebGPU tensor (activations, caches and norms are f32). */
function f32Of(t: Tensor): WebGPUTensor {
  const w = asWebGPU(t);
  if (w.dtype !== 'f32') {
    if (w.disposed) throw new DisposedError('tensor used after dispose');
    throw new UnsupportedDTypeError(`expected an f32 tensor, got ${w.dtype}`);
  }
  return w;
}

function sameSize(op: string, ...ts: WebGPUTensor[]): void {
  const n = ts[0]!.size;
  if (ts.some((t) => t.size !== n)) throw new ShapeMismatchError(`${op}: sizes ${ts.map((t) => t.size).join(', ')}`);
}

/** A written tensor may not be bound twice in one dispatch (WebGPU forbids aliasing a writable binding). */
function noAlias(op: string, written: readonly WebGPUTensor[], read: readonly WebGPUTensor[]): void {
  const all = new Set<WebGPUTensor>(read);
  for (const w of written) {
    if (all.has(w)) throw new InvalidArgumentError(`${op}: a tensor it writes is also passed as another argument`);
    all.add(w);
  }
}

/** Slots of kvWrite with every write but the last to a slot replaced by -1 (sequential semantics). */
function lastWriteWins(slots: Int32Array): Int32Array {
  const seen = new Set<number>();
  let out: Int32Array | undefined;
  for (let i = slots.length - 1; i >= 0; i--) {
    const s = slots[i]!;
    if (seen.has(s)) (out ??= slots.slice())[i] = -1;
    else seen.add(s);
  }
  return out ?? slots;
}

function bytesOf(a: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function pad4(n: number): number {
  return Math.max(4, Math.ceil(n / 4) * 4);
}
