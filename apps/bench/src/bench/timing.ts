// Timed greedy runs through kvkit: prompt in one chunk, then one token per step, as llama.cpp is timed.
import type { LlamaModel, SessionOptions } from '@kvkit/runtime';
import { argmax, Session } from '@kvkit/runtime';
import { mulberry32 } from './models.js';

export interface TimedRun {
  readonly promptTokens: number;
  /** Tokens generated, the first one from the prefill's logits. */
  readonly generated: number[];
  /** Prompt forward pass alone. */
  readonly prefillMs: number;
  /** Time to first token: prompt forward + picking the token (and, for a policy, compressing the prompt). */
  readonly ttftMs: number;
  /** The decode steps after the first token: `generated.length - 1` forward passes + picks. */
  readonly decodeMs: number;
  readonly prefillTokensPerSecond: number;
  readonly decodeTokensPerSecond: number;
  /** Bytes of K/V the cache held at the end (kvkit only). */
  readonly kvBytes?: number;
}

export function rates(promptTokens: number, generated: number, prefillMs: number, decodeMs: number): { prefillTokensPerSecond: number; decodeTokensPerSecond: number } {
  return {
    prefillTokensPerSecond: prefillMs > 0 ? (promptTokens * 1000) / prefillMs : 0,
    decodeTokensPerSecond: generated > 1 && decodeMs > 0 ? ((generated - 1) * 1000) / decodeMs : 0,
  };
}

/** BOS then `n - 1` seeded random ids above the special tokens (the same prompt for every engine). */
export function randomPrompt(n: number, vocab: number, bos: number, seed: number): number[] {
  const rand = mulberry32(seed);
  return [bos, ...Array.from({ length: n - 1 }, () => 3 + Math.floor(rand() * (vocab - 3)))];
}

/** Greedy: `decode` tokens after `prompt` on a fresh session, timing the prefill and the decode steps. */
export async function kvkitTimedRun(model: LlamaModel, prompt: readonly number[], decode: number, opts: SessionOptions = {}): Promise<TimedRun> {
  using session = new Session(model, { maxTokens: prompt.length + decode, ...opts });
  const t0 = performance.now();
  let logits = await session.append(prompt);
  const prefillMs = performance.now() - t0;
  const generated = [argmax(logits)];
  const ttftMs = performance.now() - t0;
  const t1 = performance.now();
  while (generated.length < decode) {
    logits = await session.append([generated[generated.length - 1]!]);
    generated.push(argmax(logits));
  }
  const decodeMs = performance.now() - t1;
  return { promptTokens: prompt.length, generated, prefillMs, ttftMs, decodeMs, ...rates(prompt.length, generated.length, ttftMs, decodeMs), kvBytes: session.stats().bytesUsed };
}

/** How many leading tokens two runs share, and how many positions agree. */
export function agreement(a: readonly number[], b: readonly number[]): { prefix: number; same: number; of: number } {
  const of = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < of && a[prefix] === b[prefix]) prefix++;
  let same = 0;
  for (let i = 0; i < of; i++) if (a[i] === b[i]) same++;
  return { prefix, same, of };
}
