/** llama2.c's xorshift* generator (random_u32 / random_f32), so a seed gives run.c's draws. */
export class XorshiftRng {
  #state: bigint;

  constructor(seed: number | bigint) {
    this.#state = BigInt.asUintN(64, BigInt(seed));
    if (this.#state === 0n) this.#state = 0x9e3779b97f4a7c15n; // xorshift never leaves 0
  }

  nextU32(): number {
    let s = this.#state;
    s ^= s >> 12n;
    s = BigInt.asUintN(64, s ^ (s << 25n));
    s ^= s >> 27n;
    this.#state = s;
    return Number(BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn) >> 32n);
  }

  /** Uniform in [0, 1) with 24 bits, as run.c's random_f32. */
  nextF32(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }
}
