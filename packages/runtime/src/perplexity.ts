import type { LlamaModel } from './llama-model.js';
import type { SessionOptions } from './session.js';
import { Session } from './session.js';
import { InvalidArgumentError } from '@kvkit/tensor';

export interface NllResult {
  /** Mean negative log-likelihood in nats per scored token. */
  readonly nll: number;
  readonly perplexity: number;
  /** Tokens scored (every token of a window after its first). */
  readonly tokens: number;
  /** Per-token NLL, window after window. */
  readonly perToken: Float64Array;
}

/**
 * Teacher-forced NLL over independent windows (each starts a fresh sequence, e.g. BOS + 511 tokens).
 * Each window is fed in `chunk`-token pieces so a session with an eviction policy sees real decoding.
 */
export async function evaluateNll(
  model: LlamaModel,
  windows: readonly (readonly number[])[],
  opts: { session?: SessionOptions; chunk?: number } = {},
): Promise<NllResult> {
  const vocab = model.config.vocabSize;
  const losses: number[] = [];
  for (const w of windows) {
    if (w.length < 2) throw new InvalidArgumentError('a perplexity window needs at least 2 tokens');
    using session = new Session(model, opts.session);
    const chunk = opts.chunk ?? w.length - 1;
    for (let s = 0; s < w.length - 1; s += chunk) {
      const piece = w.slice(s, Math.min(s + chunk, w.length - 1));
      const logits = await session.append(piece, { allLogits: true });
      for (let i = 0; i < piece.length; i++) losses.push(nllOf(logits.subarray(i * vocab, (i + 1) * vocab), w[s + i + 1]!));
    }
  }
  const perToken = Float64Array.from(losses);
  const nll = perToken.reduce((a, b) => a + b, 0) / perToken.length;
  return { nll, perplexity: Math.exp(nll), tokens: perToken.length, perToken };
}

/** -log softmax(logits)[target], in double. */
export function nllOf(logits: Float32Array, target: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return Math.log(sum) + max - logits[target]!;
}
