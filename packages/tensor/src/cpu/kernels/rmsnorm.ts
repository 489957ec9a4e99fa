import { ShapeMismatchError } from '../../errors.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';

/** out = weight * x / sqrt(mean(x^2) + eps), as llama2.c (sum in double, scale applied in f32). */
export function rmsnorm(out: CpuTensor, x: CpuTensor, weight: CpuTensor, eps: number): void {
  const [m, d] = rowsCols(x);
  if (weight.size !== d || out.size !== x.size) throw new ShapeMismatchError(`rmsnorm: x[${m}, ${d}], weight[${weight.size}], out[${out.size}]`);
  const xs = x.f32;
  const w = weight.f32;
  const o = out.f32;
  for (let i = 0; i < m; i++) {
    const off = i * d;
    let ss = 0;
    for (let j = 0; j < d; j++) ss += xs[off + j]! * xs[off + j]!;
    const inv = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(ss / d) + eps)));
    for (let j = 0; j < d; j++) o[off + j] = w[j]! * Math.fround(inv * xs[off + j]!);
  }
}
