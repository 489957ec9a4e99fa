import type { CacheStats, CompressionReport } from '@kvkit/cache';
import type { FinishReason, GenerateOptions, LlamaModel, SessionOptions } from '@kvkit/runtime';
import { generate, Session } from '@kvkit/runtime';

export interface GenerationRun {
  readonly tokens: number[];
  readonly promptTokens: number;
  readonly generated: number[];
  readonly finish: FinishReason;
  readonly prefillMs: number;
  readonly decodeMs: number;
  /** Decode throughput: tokens from decode steps per second (the first token comes from the prefill). */
  readonly tokensPerSecond: number;
  readonly stats: CacheStats;
  /** The policy, its per-layer budget and every compression it made (absent without a policy). */
  readonly policy?: { kind: string; budget: number | undefined; compressions: readonly CompressionReport[] };
}

/** Generate after `prompt` on a fresh session, timing prefill and decode separately. */
export async function runGeneration(
  model: LlamaModel,
  prompt: readonly number[],
  opts: GenerateOptions & { session?: SessionOptions; onToken?: (token: number, prev: number) => void },
): Promise<GenerationRun> {
  using session = new Session(model, opts.session);
  const generated: number[] = [];
  let prefillMs = 0;
  let decodeMs = 0;
  const it = generate(session, prompt, opts);
  let finish: FinishReason;
  for (;;) {
    const r = await it.next();
    if (r.done) {
      finish = r.value;
      break;
    }
    if (generated.length === 0) prefillMs = r.value.forwardMs;
    else decodeMs += r.value.forwardMs;
    opts.onToken?.(r.value.token, generated.length ? generated[generated.length - 1]! : prompt[prompt.length - 1]!);
    generated.push(r.value.token);
  }
  const steps = Math.max(0, generated.length - 1);
  return {
    tokens: [...prompt, ...generated],
    promptTokens: prompt.length,
    generated,
    finish,
    prefillMs,
    decodeMs,
    tokensPerSecond: steps > 0 && decodeMs > 0 ? (steps * 1000) / decodeMs : 0,
    stats: session.stats(),
    ...(opts.session?.policy
      ? { policy: { kind: opts.session.policy.policy.kind, budget: session.budget, compressions: session.compressions } }
      : {}),
  };
}
