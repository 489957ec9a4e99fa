import { InvalidArgumentError, ShapeMismatchError } from '../../errors.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';

/** Token i of KV head h goes to pool slot slots[i * nKvHeads + h]. */
export function kvWrite(k: CpuTensor, v: CpuTensor, slots: Int32Array, newK: CpuTensor, newV: CpuTensor): void {
  const [poolSlots, d] = rowsCols(k);
  const [m, width] = rowsCols(newK);
  const nKv = width / d;
  if (!Number.isInteger(nKv) || newV.size !== newK.size || v.size !== k.size || slots.length !== m * nKv) {
    throw new ShapeMismatchError(`kvWrite: pool[${poolSlots}, ${d}], new[${m}, ${width}], ${slots.length} slots`);
  }
  const kp = k.f32;
  const vp = v.f32;
  const nk = newK.f32;
  const nv = newV.f32;
  for (let i = 0; i < m; i++) {
    for (let h = 0; h < nKv; h++) {
      const s = slots[i * nKv + h]!;
      if (!(s >= 0 && s < poolSlots)) throw new InvalidArgumentError(`kvWrite: slot ${s} outside the pool of ${poolSlots}`);
      const src = i * width + h * d;
      kp.set(nk.subarray(src, src + d), s * d);
      vp.set(nv.subarray(src, src + d), s * d);
    }
  }
}

/** Copy pool slot from[i] to to[i], in order. */
export function kvMove(k: CpuTensor, v: CpuTensor, from: Int32Array, to: Int32Array): void {
  const [poolSlots, d] = rowsCols(k);
  if (from.length !== to.length) throw new ShapeMismatchError(`kvMove: ${from.length} sources, ${to.length} targets`);
  const kp = k.f32;
  const vp = v.f32;
  for (let i = 0; i < from.length; i++) {
    const a = from[i]!;
    const b = to[i]!;
    if (!(a >= 0 && a < poolSlots && b >= 0 && b < poolSlots)) throw new InvalidArgumentError(`kvMove: slot outside the pool of ${poolSlots}`);
    if (a === b) continue;
    kp.copyWithin(b * d, a * d, a * d + d);
    vp.copyWithin(b * d, a * d, a * d + d);
  }
}
