// Comparing a run's next-token distributions with a baseline's: KL divergence and top-1 agreement.

/** Log-softmax in double. */
export function logSoftmax(x: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of x) if (v > max) max = v;
  let sum = 0;
  for (const v of x) sum += Math.exp(v - max);
  const lse = Math.log(sum) + max;
  return Float64Array.from(x, (v) => v - lse);
}

function argmax64(x: Float64Array): number {
  let best = 0;
  for (let j = 1; j < x.length; j++) if (x[j]! > x[best]!) best = j;
  return best;
}

/** KL(p || q) in nats of two log-distributions, and whether their most likely tokens agree. */
export function compareLogProbs(p: Float64Array, q: Float64Array): { kl: number; agree: boolean } {
  let kl = 0;
  for (let j = 0; j < q.length; j++) kl += Math.exp(p[j]!) * (p[j]! - q[j]!);
  return { kl, agree: argmax64(p) === argmax64(q) };
}
