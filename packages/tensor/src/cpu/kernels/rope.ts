import type { RopeOptions } from '../../backend.js';
import { InvalidArgumentError, ShapeMismatchError } from '../../errors.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';

/** Rotary embedding in place; frequency of pair i is theta^(-2i/d) in both layouts. */
export function rope(x: CpuTensor, positions: Int32Array, opts: RopeOptions): void {
  const { nHeads, headDim, theta, layout } = opts;
  const [m, width] = rowsCols(x);
  if (width !== nHeads * headDim || positions.length !== m) {
    throw new ShapeMismatchError(`rope: x[${m}, ${width}] with ${nHeads} heads of ${headDim} and ${positions.length} positions`);
  }
  if (headDim % 2) throw new InvalidArgumentError(`rope needs an even head dim, got ${headDim}`);
  const half = headDim / 2;
  const xs = x.f32;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let i = 0; i < m; i++) {
    const pos = positions[i]!;
    for (let p = 0; p < half; p++) {
      const freq = Math.fround(1 / Math.fround(Math.pow(theta, (2 * p) / headDim)));
      const angle = Math.fround(pos * freq);
      cos[p] = Math.fround(Math.cos(angle));
      sin[p] = Math.fround(Math.sin(angle));
    }
    for (let h = 0; h < nHeads; h++) {
      const base = i * width + h * headDim;
      for (let p = 0; p < half; p++) {
        const a = layout === 'adjacent' ? base + 2 * p : base + p;
        const b = layout === 'adjacent' ? a + 1 : a + half;
        const v0 = xs[a]!;
        const v1 = xs[b]!;
        xs[a] = v0 * cos[p]! - v1 * sin[p]!;
        xs[b] = v0 * sin[p]! + v1 * cos[p]!;
      }
    }
  }
}
