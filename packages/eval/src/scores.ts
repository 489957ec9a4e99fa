// Perplexity of a run and, against a baseline run (usually the full cache), KL and top-1 agreement.
import type { LlamaModel, SessionOptions } from '@kvkit/runtime';
import { evaluateNll } from '@kvkit/runtime';
import { compareLogProbs, logSoftmax } from './logit-compare.js';

export interface ScoreOptions {
  /** Tokens of each window fed as the prompt; the rest are decoded one step at a time (default: all but the last). */
  readonly prefill?: number;
  readonly session?: SessionOptions;
  /** Score only predictions of tokens at index > `scoreFrom` (e.g. the decode steps after the prefill); default 0: all. */
  readonly scoreFrom?: number;
  readonly signal?: AbortSignal;
}

export interface Scores {
  /** Tokens scored. */
  readonly tokens: number;
  /** Mean negative log-likelihood, nats per token. */
  readonly nll: number;
  readonly perplexity: number;
}

export interface BaselineScores extends Scores {
  /** Per window, per scored index: the baseline's next-token log-distribution. */
  readonly logProbs: readonly (readonly Float64Array[])[];
}

export interface ComparedScores extends Scores {
  readonly baseline: Scores;
  readonly deltaPpl: number;
  /** Mean KL(baseline || run) in nats per token. */
  readonly kl: number;
  /** Share of tokens where both runs rank the same token first. */
  readonly top1Agreement: number;
}

function scores(tokens: number, nllSum: number): Scores {
  const nll = nllSum / tokens;
  return { tokens, nll, perplexity: Math.exp(nll) };
}

/** The options of `evaluateNll` that a score run passes through. */
function runOptions(o: ScoreOptions): { prefill?: number; session?: SessionOptions; signal?: AbortSignal } {
  return { ...(o.prefill !== undefined ? { prefill: o.prefill } : {}), ...(o.session ? { session: o.session } : {}), ...(o.signal ? { signal: o.signal } : {}) };
}

/** The baseline's log-distributions at every scored token (vocab doubles per token: score a few windows at a time). */
export async function scoreBaseline(model: LlamaModel, windows: readonly (readonly number[])[], o: ScoreOptions = {}): Promise<BaselineScores> {
  const from = o.scoreFrom ?? 0;
  const logProbs: Float64Array[][] = windows.map(() => []);
  let nll = 0;
  let n = 0;
  await evaluateNll(model, windows, {
    ...runOptions(o),
    onLogits: (w, i, row) => {
      if (i < from) return;
      const p = logSoftmax(row);
      logProbs[w]![i] = p;
      nll -= p[windows[w]![i + 1]!]!;
      n++;
    },
  });
  return { ...scores(n, nll), logProbs };
}

/** The run's perplexity on the same windows, and how far its distributions are from the baseline's. */
export async function compareWithBaseline(model: LlamaModel, windows: readonly (readonly number[])[], baseline: BaselineScores, o: ScoreOptions = {}): Promise<ComparedScores> {
  const from = o.scoreFrom ?? 0;
  let nll = 0;
  let kl = 0;
  let agree = 0;
  let n = 0;
  await evaluateNll(model, windows, {
    ...runOptions(o),
    onLogits: (w, i, row) => {
      if (i < from) return;
      const q = logSoftmax(row);
      const c = compareLogProbs(baseline.logProbs[w]![i]!, q);
      kl += c.kl;
      if (c.agree) agree++;
      nll -= q[windows[w]![i + 1]!]!;
      n++;
    },
  });
  const run = scores(n, nll);
  const base: Scores = { tokens: baseline.tokens, nll: baseline.nll, perplexity: baseline.perplexity };
  return { ...run, baseline: base, deltaPpl: run.perplexity - base.perplexity, kl: kl / n, top1Agreement: agree / n };
}

/** Scores of several parts (e.g. one window at a time) as one: every mean weighted by its tokens. */
export function mergeScores(parts: readonly Scores[]): Scores {
  const tokens = parts.reduce((s, p) => s + p.tokens, 0);
  return scores(tokens, parts.reduce((s, p) => s + p.nll * p.tokens, 0));
}

export function mergeCompared(parts: readonly ComparedScores[]): ComparedScores {
  const run = mergeScores(parts);
  const baseline = mergeScores(parts.map((p) => p.baseline));
  const mean = (f: (p: ComparedScores) => number) => parts.reduce((s, p) => s + f(p) * p.tokens, 0) / run.tokens;
  return { ...run, baseline, deltaPpl: run.perplexity - baseline.perplexity, kl: mean((p) => p.kl), top1Agreement: mean((p) => p.top1Agreement) };
}
