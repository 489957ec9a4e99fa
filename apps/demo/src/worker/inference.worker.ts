// The inference worker: owns the model and its session, so the page never computes and never blocks.
// A failed load leaves the previous model in place.
import { GenerationAbortedError } from '@kvkit/runtime';
import type { GenerationStream, LanguageModel, TextSession } from '@kvkit/runtime';
import type { FromWorker, ModelSummary, ToWorker } from '../protocol.js';
import { toErrorMessage } from './errors.js';
import { loadModel } from './load.js';
import { runNeedle } from './needle.js';
import { policyLabel, sessionOptions, settingsKey } from './session-options.js';
import { cacheSnapshot, PieceCache } from './snapshot.js';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<ToWorker>) => void) | null; postMessage(m: FromWorker): void };
const post = (m: FromWorker): void => scope.postMessage(m);

/** Stats go to the page at most this often while generating (and always after the prefill and at the end). */
const STATS_INTERVAL_MS = 120;

let model: LanguageModel | undefined;
let label = '';
let session: { ts: TextSession; key: string; pieces: PieceCache } | undefined;
const running = new Map<number, AbortController>();

/** A task boundary, so that an 'abort' message queued by the page is handled between two tokens. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(null);
  });
}

function summary(m: LanguageModel, name: string): ModelSummary {
  const c = m.config;
  const b = m.backendInfo;
  return {
    label: name,
    format: m.format,
    nLayers: c.nLayers,
    nHeads: c.nHeads,
    nKvHeads: c.nKvHeads,
    headDim: c.headDim,
    contextLength: c.contextLength,
    kvSource: [...c.kvSource],
    slidingWindow: c.slidingWindow ? [...c.slidingWindow] : null,
    hasChatTemplate: !!m.chatTemplate,
    backend: { kind: b.kind, name: b.name, threads: b.threads, ...(b.adapter ? { adapter: b.adapter } : {}), ...(b.reason ? { reason: b.reason } : {}) },
    crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  };
}

async function handleLoad(msg: Extract<ToWorker, { type: 'load' }>, signal: AbortSignal): Promise<void> {
  const next = await loadModel({
    source: msg.source,
    backend: msg.backend,
    ...(msg.memoryLimit !== undefined ? { memoryLimit: msg.memoryLimit } : {}),
    signal,
    onProgress: ({ file, loaded, total }) => post({ type: 'progress', id: msg.id, file, loaded, total: total ?? null }),
  });
  // Only a model that loaded replaces the current one.
  session?.ts.dispose();
  session = undefined;
  model?.dispose();
  model = next;
  label = msg.label;
  post({ type: 'loaded', id: msg.id, model: summary(next, label) });
}

function sessionFor(m: LanguageModel, cache: Extract<ToWorker, { type: 'generate' }>['cache']): { ts: TextSession; pieces: PieceCache } {
  const key = settingsKey(cache);
  if (session && session.key === key) return session;
  // Create first, so that settings the library rejects leave the old session as it was.
  const ts = m.createSession(sessionOptions(cache));
  session?.ts.dispose();
  session = { ts, key, pieces: new PieceCache() };
  return session;
}

async function handleGenerate(msg: Extract<ToWorker, { type: 'generate' }>, signal: AbortSignal): Promise<void> {
  if (!model) throw new Error('no model is loaded yet');
  const { ts, pieces } = sessionFor(model, msg.cache);
  const opts = { maxTokens: msg.sampling.maxTokens, temperature: msg.sampling.temperature, seed: msg.sampling.seed, signal };
  let stream: GenerationStream;
  let promptStart: number;
  if (msg.input.kind === 'text') {
    // Each text generation starts a fresh sequence in the same session (its cache memory is reused).
    ts.reset();
    promptStart = 0;
    stream = ts.generate(msg.input.prompt, opts);
  } else {
    promptStart = ts.session.position;
    stream = ts.chat(msg.input.messages, { ...opts, ...(model.chatTemplate ? {} : { template: 'plain' as const }) });
  }
  const t0 = performance.now();
  const ctx = { policyLabel: policyLabel(msg.cache), pieces, promptStart, generatedFrom: Number.MAX_SAFE_INTEGER };
  const sendStats = () => post({ type: 'stats', id: msg.id, snapshot: cacheSnapshot(ts, ctx) });
  let lastStats = -Infinity;
  let generated = 0;
  let ttft = 0;
  let text = '';
  const tokens: number[] = [];
  try {
    for await (const chunk of stream) {
      if (generated === 0) {
        ttft = performance.now() - t0;
        // The sampled token is fed on the next step: the prompt ends one position before it.
        ctx.generatedFrom = ts.session.position;
        if (msg.input.kind === 'chat' && ts.session.position < promptStart) ctx.promptStart = 0;
      }
      generated += chunk.tokens.length;
      tokens.push(...chunk.tokens);
      text += chunk.text;
      post({ type: 'chunk', id: msg.id, text: chunk.text, tokens: chunk.tokens, elapsedMs: performance.now() - t0, generated });
      if (performance.now() - lastStats >= STATS_INTERVAL_MS) {
        sendStats();
        lastStats = performance.now();
      }
      await yieldToMessages();
    }
    const r = await stream.result;
    if (r.reusedTokens === 0 && msg.input.kind === 'chat') ctx.promptStart = 0;
    sendStats();
    post({
      type: 'done',
      id: msg.id,
      result: { text: r.text, tokens: [...r.tokens], finishReason: r.finishReason, promptTokens: r.promptTokens, reusedTokens: r.reusedTokens, generatedTokens: r.generatedTokens, tokensPerSecond: r.timings.tokensPerSecond, timeToFirstTokenMs: r.timings.prefillMs || ttft },
    });
  } catch (e) {
    if (!(e instanceof GenerationAbortedError)) throw e;
    // Stopped by the user: the session keeps what it holds and stays usable.
    sendStats();
    const elapsed = performance.now() - t0;
    post({
      type: 'done',
      id: msg.id,
      result: { text, tokens, finishReason: 'aborted', promptTokens: 0, reusedTokens: 0, generatedTokens: generated, tokensPerSecond: generated > 1 && elapsed > ttft ? ((generated - 1) * 1000) / (elapsed - ttft) : 0, timeToFirstTokenMs: ttft },
    });
  }
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === 'abort') {
    running.get(msg.id)?.abort();
    return;
  }
  const ac = new AbortController();
  running.set(msg.id, ac);
  const work =
    msg.type === 'load'
      ? handleLoad(msg, ac.signal)
      : msg.type === 'generate'
        ? handleGenerate(msg, ac.signal)
        : model
          ? runNeedle(model, msg, post, ac.signal).then(() => post({ type: 'needle-done', id: msg.id }))
          : Promise.reject(new Error('no model is loaded yet'));
  work.catch((err: unknown) => post({ type: 'error', id: msg.id, error: toErrorMessage(err) })).finally(() => running.delete(msg.id));
};
