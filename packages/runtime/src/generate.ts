import type { SamplerOptions } from './sampler.js';
import { Sampler } from './sampler.js';
import { GenerationAbortedError } from './errors.js';
import type { Session } from './session.js';

export interface GenerateOptions extends SamplerOptions {
  /** Most tokens to generate (the prompt not counted). */
  readonly maxTokens: number;
  readonly signal?: AbortSignal;
  /** Tokens that end generation and are not emitted (default: the model's BOS and EOS, as run.c). */
  readonly stopTokens?: readonly number[];
}

export type FinishReason = 'stop' | 'length' | 'context';

export interface GeneratedToken {
  readonly token: number;
  /** Position of the token in the sequence. */
  readonly position: number;
  /** Milliseconds spent in the forward pass that produced it (the prefill for the first token). */
  readonly forwardMs: number;
}

/**
 * Stream tokens after `prompt`. The prompt (BOS included, as the tokenizer returns it) is fed in one
 * chunk, then one token per step. Returns why it finished. An aborted signal throws
 * GenerationAbortedError between tokens; the session keeps every token fed so far.
 */
export async function* generate(session: Session, prompt: readonly number[], opts: GenerateOptions): AsyncGenerator<GeneratedToken, FinishReason> {
  const { config } = session.model;
  const sampler = new Sampler(opts);
  const stop = new Set(opts.stopTokens ?? [config.bosId, config.eosId]);
  const check = () => {
    if (opts.signal?.aborted) throw new GenerationAbortedError(`generation aborted after ${session.position} tokens`);
  };
  check();
  let t0 = performance.now();
  let logits = await session.append(prompt);
  let forwardMs = performance.now() - t0;
  for (let produced = 0; produced < opts.maxTokens; produced++) {
    check();
    const token = sampler.sample(logits);
    if (stop.has(token)) return 'stop';
    yield { token, position: session.position, forwardMs };
    if (produced + 1 === opts.maxTokens) break;
    if (session.position >= session.maxTokens) return 'context';
    check();
    t0 = performance.now();
    logits = await session.append([token]);
    forwardMs = performance.now() - t0;
  }
  return 'length';
}
