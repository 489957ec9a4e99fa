import { ShapeMismatchError } from '../../errors.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';

function sameSize(op: string, ...ts: CpuTensor[]): void {
  const n = ts[0]!.size;
  if (ts.some((t) => t.size !== n)) throw new ShapeMismatchError(`${op}: sizes ${ts.map((t) => t.size).join(', ')}`);
}

/** out = silu(gate) * up = gate * sigmoid(gate) * up */
export function siluMul(out: CpuTensor, gate: CpuTensor, up: CpuTensor): void {
  sameSize('siluMul', out, gate, up);
  const o = out.f32;
  const g = gate.f32;
  const u = up.f32;
  for (let i = 0; i < o.length; i++) {
    const v = g[i]!;
    o[i] = Math.fround(v * Math.fround(1 / (1 + Math.exp(-v)))) * u[i]!;
  }
}

export function add(out: CpuTensor, a: CpuTensor, b: CpuTensor): void {
  sameSize('add', out, a, b);
  const o = out.f32;
  const x = a.f32;
  const y = b.f32;
  for (let i = 0; i < o.length; i++) o[i] = x[i]! + y[i]!;
}

/** Softmax in place over the last dim (max-subtracted, summed in double). */
export function softmax(x: CpuTensor): void {
  const [m, d] = rowsCols(x);
  const xs = x.f32;
  for (let i = 0; i < m; i++) softmaxRow(xs, i * d, d);
}

export function softmaxRow(xs: Float32Array | Float64Array, off: number, d: number): void {
  let max = -Infinity;
  for (let j = 0; j < d; j++) max = Math.max(max, xs[off + j]!);
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const e = Math.exp(xs[off + j]! - max);
    xs[off + j] = e;
    sum += e;
  }
  for (let j = 0; j < d; j++) xs[off + j] = xs[off + j]! / sum;
}
