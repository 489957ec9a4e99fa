import type { LlamaModel } from './llama-model.js';
import type { SessionOptions } from './session.js';
import { Session } from './session.js';
import { InvalidArgumentError } from '@kvkit/tensor';
import { GenerationAbortedError } from './errors.js';

export interface NllResult {
  /** Mean negative log-likelihood in nats per scored token. */
  readonly nll: number;
  readonly perplexity: number;
  /** Tokens scored (every token of a window after its first). */
  readonly tokens: number;
  /** Per-token NLL, window after window. */
  readonly perToken: Float64Array;
}

export interface EvaluateOptions {
  readonly session?: SessionOptions;
  /** Tokens of each window fed as the prompt (default: all but the last); the rest go `chunk` at a time. */
  readonly prefill?: number;
  /** Tokens per append after the prompt (default 1: real decoding steps, so eviction policies act). */
  readonly chunk?: number;
  /** Sees the logits predicting token `index + 1` of window `window` (for KL and agreement). */
  readonly onLogits?: (window: number, index: number, logits: Float32Array) => void;
  readonly signal?: AbortSignal;
}

/**
 * Teacher-forced NLL over independent windows (each starts a fresh sequence, e.g. BOS + 511 tokens):
 * the first `prefill` tokens as a prompt, then the rest in `chunk`-token appends, so a session with an
 * eviction policy compresses the prompt and keeps evicting while the rest is scored.
 */
export async function evaluateNll(model: LlamaModel, windows: readonly (readonly number[])[], opts: EvaluateOptions = {}): Promise<NllResult> {
  const vocab = model.config.vocabSize;
  const losses: number[] = [];
  for (const [wi, w] of windows.entries()) {
    if (w.length < 2) throw new InvalidArgumentError('a perplexity window needs at least 2 tokens');
    using session = new Session(model, opts.session);
    const prefill = Math.min(opts.prefill ?? w.length - 1, w.length - 1);
    const chunk = opts.chunk ?? 1;
    if (!(prefill >= 1 && chunk >= 1)) throw new InvalidArgumentError(`prefill and chunk must be >= 1, got ${prefill}, ${chunk}`);
    for (let s = 0; s < w.length - 1; ) {
      if (opts.signal?.aborted) throw new GenerationAbortedError('evaluation aborted');
      const piece = w.slice(s, Math.min(s + (s === 0 ? prefill : chunk), w.length - 1));
      const logits = await session.append(piece, { allLogits: true });
      for (let i = 0; i < piece.length; i++) {
        const row = logits.subarray(i * vocab, (i + 1) * vocab);
        opts.onLogits?.(wi, s + i, row);
        losses.push(nllOf(row, w[s + i + 1]!));
      }
      s += piece.length;
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
