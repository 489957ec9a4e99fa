import type { AttentionOptions, Backend, RopeOptions } from '../backend.js';
import type { DType } from '../dtype.js';
import { byteSize, numel } from '../dtype.js';
import { OutOfMemoryError, ShapeMismatchError, UnsupportedDTypeError } from '../errors.js';
import type { KvView } from '../kv-view.js';
import type { KvFormat } from '../kv-format.js';
import { kvQuantize } from './kernels/kv-quantize.js';
import { decode } from '../quant/codec.js';
import type { Tensor } from '../tensor.js';
import { asCpu, CpuTensor } from './cpu-tensor.js';
import { attention } from './kernels/attention.js';
import { add, siluMul, softmax } from './kernels/elementwise.js';
import { embed } from './kernels/embed.js';
import { kvMove, kvWrite } from './kernels/kv-write.js';
import { matmul } from './kernels/matmul.js';
import { rmsnorm } from './kernels/rmsnorm.js';
import { rope } from './kernels/rope.js';

/** The reference backend: plain TypeScript over typed arrays, no native code. */
export class CpuBackend implements Backend {
  readonly name = 'cpu';

  tensor(dtype: DType, shape: readonly number[], data?: Uint8Array | Float32Array): Tensor {
    const bytes = byteSize(dtype, numel(shape));
    if (data === undefined) return new CpuTensor(dtype, shape, allocate(bytes, dtype, shape));
    if (data instanceof Float32Array && dtype !== 'f32') {
      throw new UnsupportedDTypeError(`f32 values given for a ${dtype} tensor: encode them first`);
    }
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (raw.byteLength !== bytes) throw new ShapeMismatchError(`${dtype}[${shape.join(', ')}] needs ${bytes} bytes, got ${raw.byteLength}`);
    // Adopt aligned bytes without a copy (weights can be hundreds of MB); copy only when misaligned.
    const adopt = raw.byteOffset % 4 === 0 ? raw : raw.slice();
    return new CpuTensor(dtype, shape, adopt);
  }

  write(dst: Tensor, data: Float32Array, offset = 0): void {
    const t = asCpu(dst);
    if (offset < 0 || offset + data.length > t.size) throw new ShapeMismatchError(`write of ${data.length} at ${offset} into ${t.size}`);
    t.f32.set(data, offset);
  }

  async read(src: Tensor): Promise<Float32Array> {
    const t = asCpu(src);
    return t.dtype === 'f32' ? t.f32.slice() : decode(t.dtype, t.bytes, t.size);
  }

  embed(out: Tensor, table: Tensor, tokens: Int32Array): void {
    embed(asCpu(out), asCpu(table), tokens);
  }
  matmul(out: Tensor, x: Tensor, w: Tensor): void {
    matmul(asCpu(out), asCpu(x), asCpu(w));
  }
  rmsnorm(out: Tensor, x: Tensor, weight: Tensor, eps: number): void {
    rmsnorm(asCpu(out), asCpu(x), asCpu(weight), eps);
  }
  rope(x: Tensor, positions: Int32Array, opts: RopeOptions): void {
    rope(asCpu(x), positions, opts);
  }
  siluMul(out: Tensor, gate: Tensor, up: Tensor): void {
    siluMul(asCpu(out), asCpu(gate), asCpu(up));
  }
  copy(dst: Tensor, src: Tensor, count: number, srcOffset = 0, dstOffset = 0): void {
    const s = asCpu(src).f32;
    const d = asCpu(dst).f32;
    if (count < 0 || srcOffset < 0 || dstOffset < 0 || srcOffset + count > s.length || dstOffset + count > d.length) {
      throw new ShapeMismatchError(`copy of ${count} from ${srcOffset} of ${s.length} to ${dstOffset} of ${d.length}`);
    }
    d.set(s.subarray(srcOffset, srcOffset + count), dstOffset);
  }
  add(out: Tensor, a: Tensor, b: Tensor): void {
    add(asCpu(out), asCpu(a), asCpu(b));
  }
  softmax(x: Tensor): void {
    softmax(asCpu(x));
  }
  kvWrite(k: Tensor, v: Tensor, slots: Int32Array, newK: Tensor, newV: Tensor, format?: KvFormat): void {
    kvWrite(asCpu(k), asCpu(v), slots, asCpu(newK), asCpu(newV), format);
  }
  kvQuantize(view: KvView, head: number, start: number, count: number, part: 'key' | 'value'): void {
    kvQuantize(view, head, start, count, part);
  }
  kvMove(k: Tensor, v: Tensor, from: Int32Array, to: Int32Array): void {
    kvMove(asCpu(k), asCpu(v), from, to);
  }
  attention(out: Tensor, q: Tensor, queryPositions: Int32Array, view: KvView, opts: AttentionOptions): void {
    attention(asCpu(out), asCpu(q), queryPositions, view, opts);
  }

  [Symbol.dispose](): void {}
}

/** Zeroed bytes for a tensor; a size the engine refuses (beyond its array limit or memory) is a typed error. */
function allocate(bytes: number, dtype: DType, shape: readonly number[]): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch (e) {
    throw new OutOfMemoryError(
      `a ${dtype}[${shape.join(', ')}] tensor of ${bytes} bytes could not be allocated (${(e as Error).message}); ` +
        'use a smaller context (maxTokens), a paged layout, a quantised KV dtype or a cache policy',
      { cause: e },
    );
  }
}
