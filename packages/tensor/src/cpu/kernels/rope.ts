import type { RopeOptions } from '../../backend.js';
import { InvalidArgumentError, ShapeMismatchError } from '../../errors.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';
import { ropeAngles, rotateHeads } from '../../rope-angles.js';

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
    ropeAngles(positions[i]!, headDim, theta, cos, sin);
    rotateHeads(xs, i * width, nHeads, headDim, layout, cos, sin);
  }
}
