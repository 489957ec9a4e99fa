import { InvalidArgumentError } from '@kvkit/tensor';
import { XorshiftRng } from './rng.js';

export interface SamplerOptions {
  /** 0 (default) = greedy argmax. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (0 = off). */
  readonly topK?: number;
  /** Nucleus sampling threshold in (0, 1); 1 or 0 = off. */
  readonly topP?: number;
  readonly seed?: number;
}

/** Picks the next token from logits: greedy, or temperature with top-k and top-p, from a seeded RNG. */
export class Sampler {
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly #rng: XorshiftRng;

  constructor(opts: SamplerOptions = {}) {
    this.temperature = opts.temperature ?? 0;
    this.topK = opts.topK ?? 0;
    this.topP = opts.topP ?? 1;
    if (!(this.temperature >= 0 && Number.isFinite(this.temperature))) throw new InvalidArgumentError(`temperature must be >= 0, got ${this.temperature}`);
    if (!(Number.isInteger(this.topK) && this.topK >= 0)) throw new InvalidArgumentError(`topK must be a non-negative integer, got ${this.topK}`);
    if (!(this.topP >= 0 && this.topP <= 1)) throw new InvalidArgumentError(`topP must be in [0, 1], got ${this.topP}`);
    this.#rng = new XorshiftRng(opts.seed ?? 1337);
  }

  sample(logits: Float32Array): number {
    if (this.temperature === 0) return argmax(logits);
    const n = logits.length;
    const probs = new Float64Array(n);
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, logits[i]! / this.temperature);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += probs[i] = Math.exp(logits[i]! / this.temperature - max);
    for (let i = 0; i < n; i++) probs[i]! /= sum;
    const coin = this.#rng.nextF32();
    const filtered = (this.topK > 0 && this.topK < n) || (this.topP > 0 && this.topP < 1);
    if (!filtered) return sampleCdf(probs, Array.from({ length: n }, (_, i) => i), 1, coin);
    // Candidates by descending probability, ties by lower id (deterministic).
    let order = Array.from({ length: n }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
    if (this.topK > 0) order = order.slice(0, this.topK);
    let mass = 0;
    for (const i of order) mass += probs[i]!;
    if (this.topP > 0 && this.topP < 1) {
      const want = this.topP * mass;
      let cum = 0;
      let last = order.length - 1;
      for (let r = 0; r < order.length; r++) {
        cum += probs[order[r]!]!;
        if (cum > want) {
          last = r;
          break;
        }
      }
      order = order.slice(0, last + 1);
      mass = cum;
    }
    return sampleCdf(probs, order, mass, coin);
  }
}

export function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

function sampleCdf(probs: Float64Array, ids: readonly number[], mass: number, coin: number): number {
  const r = coin * mass;
  let cdf = 0;
  for (const i of ids) {
    cdf += probs[i]!;
    if (r < cdf) return i;
  }
  return ids[ids.length - 1]!;
}
