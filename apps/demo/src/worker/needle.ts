// The needle playground: one haystack prompt, answered greedily under several cache settings.
import { answerOf, Haystack } from '@kvkit/eval';
import type { LanguageModel } from '@kvkit/runtime';
import { argmax, XorshiftRng } from '@kvkit/runtime';
import heldOutUrl from '@kvkit/eval/data/tinystories-heldout.txt?url';
import type { FromWorker, NeedleRunRequest } from '../protocol.js';
import { cacheSnapshot, PieceCache } from './snapshot.js';
import { policyLabel, sessionOptions } from './session-options.js';

/** Up to this many tokens are generated: a space, five digits and one more to see the number end. */
const MAX_NEW = 8;

const haystacks = new WeakMap<LanguageModel, Haystack>();

async function haystackFor(model: LanguageModel): Promise<Haystack> {
  let h = haystacks.get(model);
  if (!h) {
    const res = await fetch(heldOutUrl);
    if (!res.ok) throw new Error(`the held-out text (${heldOutUrl}) could not be fetched: HTTP ${res.status}`);
    h = new Haystack(model.tokenizer, await res.text());
    haystacks.set(model, h);
  }
  return h;
}

export interface NeedleRequest {
  readonly id: number;
  readonly length: number;
  readonly depth: number;
  readonly seed: number;
  readonly runs: readonly NeedleRunRequest[];
}

export async function runNeedle(model: LanguageModel, req: NeedleRequest, post: (m: FromWorker) => void, signal: AbortSignal): Promise<void> {
  const haystack = await haystackFor(model);
  const prompt = haystack.prompt(Math.min(req.length, model.config.contextLength - MAX_NEW), req.depth, new XorshiftRng(req.seed));
  const qStart = prompt.tokens.length - 24;
  const utf8 = new TextDecoder();
  // The fact is one sentence: it ends with the token that carries its full stop.
  let factEnd = prompt.factAt;
  while (factEnd < prompt.tokens.length && !utf8.decode(model.tokenizer.decodePiece(prompt.tokens[factEnd - 1]!, prompt.tokens[factEnd]!)).includes('.')) factEnd++;
  post({ type: 'needle-prompt', id: req.id, code: prompt.code, tokens: prompt.tokens.length, factAt: prompt.factAt, factEnd: factEnd + 1, question: model.tokenizer.decode(prompt.tokens.slice(qStart)).trim() });
  for (const run of req.runs) {
    if (signal.aborted) return;
    using ts = model.createSession(sessionOptions(run.cache, prompt.tokens.length + MAX_NEW));
    const s = ts.session;
    let logits = await s.append(prompt.tokens);
    const snapshot = cacheSnapshot(ts, { policyLabel: policyLabel(run.cache), promptStart: 0, generatedFrom: prompt.tokens.length, pieces: new PieceCache() });
    let text = '';
    let prev = prompt.tokens[prompt.tokens.length - 1]!;
    for (let i = 0; i < MAX_NEW; i++) {
      const next = argmax(logits);
      const piece = utf8.decode(ts.tokenizer.decodePiece(prev, next));
      if (/\d/.test(text) && !/^\d/.test(piece)) break;
      text += piece;
      prev = next;
      if (i + 1 < MAX_NEW) logits = await s.append([next]);
    }
    const answer = answerOf(text) ?? text.trim();
    post({ type: 'needle-run', id: req.id, run: { label: run.label, answer, correct: answer === prompt.code, bytesUsed: snapshot.bytesUsed, fullBytes: snapshot.fullBytes, snapshot } });
    // Let an abort message in between two runs.
    await new Promise((r) => setTimeout(r, 0));
  }
}
