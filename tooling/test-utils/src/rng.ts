// A small seeded PRNG (mulberry32) so every test input is reproducible from its seed.

/** Deterministic random numbers: uniform floats and ints, normals (Box-Muller), shuffles. */
export class Rng {
  #state: number;
  #spare: number | undefined;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 2 ** 32;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Normal with the given mean and standard deviation. */
  normal(mean = 0, std = 1): number {
    let z = this.#spare;
    if (z === undefined) {
      const u = 1 - this.float(); // (0, 1]: log stays finite
      const r = Math.sqrt(-2 * Math.log(u));
      const a = 2 * Math.PI * this.float();
      z = r * Math.cos(a);
      this.#spare = r * Math.sin(a);
    } else this.#spare = undefined;
    return mean + std * z;
  }

  /** Shuffle in place (Fisher-Yates) and return the array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}

export interface RandomArrayOptions {
  /** 'normal' (default): offset + scale * N(0, 1); 'uniform': offset + scale * U(-1, 1). */
  readonly dist?: 'normal' | 'uniform';
  readonly scale?: number;
  readonly offset?: number;
}

function fill<A extends Float32Array | Float64Array>(out: A, rng: Rng, opts: RandomArrayOptions): A {
  const { dist = 'normal', scale = 1, offset = 0 } = opts;
  for (let i = 0; i < out.length; i++) out[i] = offset + scale * (dist === 'normal' ? rng.normal() : rng.uniform(-1, 1));
  return out;
}

export function randomF32(rng: Rng, n: number, opts: RandomArrayOptions = {}): Float32Array {
  return fill(new Float32Array(n), rng, opts);
}

export function randomF64(rng: Rng, n: number, opts: RandomArrayOptions = {}): Float64Array {
  return fill(new Float64Array(n), rng, opts);
}
