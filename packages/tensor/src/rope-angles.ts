// The rotary embedding's arithmetic, shared by every backend so that all rotate exactly alike.
import type { RopeLayout } from './backend.js';

/** Frequency of rotary pair p, theta^(-2p/d), rounded as an f32 implementation (run.c) computes it. */
export function ropeFrequency(theta: number, headDim: number, p: number): number {
  return Math.fround(1 / Math.fround(Math.pow(theta, (2 * p) / headDim)));
}

/** cos and sin of every pair at position `pos`: f32 angle, cos/sin rounded to f32. */
export function ropeAngles(pos: number, headDim: number, theta: number, cos: Float64Array, sin: Float64Array): void {
  for (let p = 0; p < headDim / 2; p++) {
    const angle = Math.fround(pos * ropeFrequency(theta, headDim, p));
    cos[p] = Math.fround(Math.cos(angle));
    sin[p] = Math.fround(Math.sin(angle));
  }
}

/** Rotate `nHeads` consecutive heads of `headDim` values starting at `xs[base]`, in place. */
export function rotateHeads(xs: Float32Array, base: number, nHeads: number, headDim: number, layout: RopeLayout, cos: Float64Array, sin: Float64Array): void {
  const half = headDim / 2;
  for (let h = 0; h < nHeads; h++) {
    const head = base + h * headDim;
    for (let p = 0; p < half; p++) {
      const a = layout === 'adjacent' ? head + 2 * p : head + p;
      const b = layout === 'adjacent' ? a + 1 : a + half;
      const v0 = xs[a]!;
      const v1 = xs[b]!;
      xs[a] = v0 * cos[p]! - v1 * sin[p]!;
      xs[b] = v0 * sin[p]! + v1 * cos[p]!;
    }
  }
}
