// Abort at every phase, and allocations beyond what the machine can hold: each ends in a typed error and
// leaves something usable (nothing of an aborted load; a session that continues with the same tokens).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '@kvkit/loaders';
import { LoadAbortedError, loadModelFrom } from '@kvkit/loaders';
import type { Backend } from '@kvkit/tensor';
import { CpuBackend, KvkitError, OutOfMemoryError } from '@kvkit/tensor';
import type { SessionOptions } from '../src/index.js';
import { GenerationAbortedError, generate, LlamaModel, loadLanguageModel, Session } from '../src/index.js';
import { STORIES } from './shared-model.js';

const GGUF = `${STORIES}stories260K.gguf`;
const backend: Backend = new CpuBackend();
let loaded: LoadedModel;
let model: LlamaModel;
const TEXT = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog. One day, she saw a big red ball under a tree and ran to get it.';
let PROMPT: number[];
const N = 10;

beforeAll(async () => {
  loaded = await loadModelFrom(GGUF);
  model = LlamaModel.load(backend, loaded);
  PROMPT = loaded.tokenizer!.encode(TEXT);
  expect(PROMPT.length).toBeGreaterThan(48);
});

/** A session that aborts `controller` right after its `at`-th append returns (0: the prompt). */
class AbortingSession extends Session {
  appends = 0;
  constructor(m: LlamaModel, opts: SessionOptions, readonly controller: AbortController, readonly at: number) {
    super(m, opts);
  }
  override async append(tokens: readonly number[], opts?: { allLogits?: boolean }): Promise<Float32Array> {
    const logits = await super.append(tokens, opts);
    if (this.appends++ === this.at) this.controller.abort();
    return logits;
  }
}

async function collect(session: Session, prompt: number[], maxTokens: number, signal?: AbortSignal): Promise<{ tokens: number[]; error?: unknown }> {
  const tokens: number[] = [];
  try {
    for await (const t of generate(session, prompt, { maxTokens, stopTokens: [], ...(signal ? { signal } : {}) })) tokens.push(t.token);
  } catch (error) {
    return { tokens, error };
  }
  return { tokens };
}

describe('abort while loading', () => {
  it('at every progress event: a LoadAbortedError, and the next load works', async () => {
    const bytes = new Uint8Array(readFileSync(GGUF));
    // Many parts, so that the Blob streams in several chunks (a progress event each).
    const blob = new Blob(Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536)));
    let events = 0;
    await loadModelFrom(blob, { onProgress: () => void events++ });
    expect(events).toBeGreaterThan(2);
    for (let k = 1; k <= events; k++) {
      const controller = new AbortController();
      let seen = 0;
      const onProgress = (): void => void (++seen === k && controller.abort());
      const failed = await loadModelFrom(blob, { onProgress, signal: controller.signal }).then(() => undefined, (e: unknown) => e);
      expect(failed, `abort at progress event ${k} of ${events}`).toBeInstanceOf(LoadAbortedError);
    }
    // And through loadLanguageModel onto a backend, with the path source (read from disk in chunks).
    let pathEvents = 0;
    (await loadLanguageModel(GGUF, { backend: 'cpu', onProgress: () => void pathEvents++ })).dispose();
    for (let k = 1; k <= pathEvents; k++) {
      const controller = new AbortController();
      let seen = 0;
      const failed = await loadLanguageModel(GGUF, { backend: 'cpu', signal: controller.signal, onProgress: () => void (++seen === k && controller.abort()) }).then(
        (lm) => (lm.dispose(), undefined),
        (e: unknown) => e,
      );
      expect(failed, `abort at progress event ${k} of ${pathEvents}`).toBeInstanceOf(LoadAbortedError);
    }
    const lm = await loadLanguageModel(GGUF, { backend: 'cpu' });
    expect(lm.config.vocabSize).toBe(512);
    lm.dispose();
  });
});

describe.each<[string, SessionOptions]>([
  ['full cache', {}],
  ['SnapKV at 40 (prefill compression)', { policy: { policy: { kind: 'snapkv' }, budget: { budget: 40 } } }],
  ['H2O at 16 (scores every step)', { policy: { policy: { kind: 'h2o' }, budget: { budget: 16 } } }],
  ['window of 12, int8 KV, paged', { policy: { policy: { kind: 'window', window: 12 }, budget: { budget: 12 } }, kvDtype: 'int8', layout: 'paged', pageSize: 4 }],
])('abort while generating: %s', (_name, opts) => {
  it('after the prompt (compression included) and after every decode step: a GenerationAbortedError, and the session continues with the same tokens', async () => {
    using reference = new Session(model, opts);
    const want = (await collect(reference, PROMPT, N)).tokens;
    expect(want).toHaveLength(N);
    for (let at = 0; at < N; at++) {
      const controller = new AbortController();
      using session = new AbortingSession(model, opts, controller, at);
      const got = await collect(session, PROMPT, N, controller.signal);
      expect(got.error, `abort after append ${at}`).toBeInstanceOf(GenerationAbortedError);
      // The tokens yielded before the abort are the reference's, and the session holds exactly what was fed.
      expect(got.tokens).toEqual(want.slice(0, at));
      expect(session.position).toBe(PROMPT.length + at);
      expect(session.tokens).toEqual([...PROMPT, ...want.slice(0, at)]);
      // Feeding the next token of the uninterrupted run and generating on gives that run's remaining tokens:
      // the cache (and a policy's compression and scores) is the reference's.
      const rest = await collect(session, [want[at]!], N - at - 1);
      expect([...got.tokens, want[at], ...rest.tokens]).toEqual(want);
      // (After the last step the continuation fed one token more than the reference did.)
      if (at < N - 1) expect(session.stats().tokensHeld).toEqual(reference.stats().tokensHeld);
    }
  });

  it('before the prompt: nothing is fed, and the session then generates as if new', async () => {
    using reference = new Session(model, opts);
    const want = (await collect(reference, PROMPT, 4)).tokens;
    using session = new Session(model, opts);
    const controller = new AbortController();
    controller.abort();
    const got = await collect(session, PROMPT, 4, controller.signal);
    expect(got.error).toBeInstanceOf(GenerationAbortedError);
    expect(session.position).toBe(0);
    expect((await collect(session, PROMPT, 4)).tokens).toEqual(want);
  });
});

describe('allocations beyond memory', () => {
  it('a context no machine holds is an OutOfMemoryError, and the model keeps working', async () => {
    for (const maxTokens of [2 ** 31, 2 ** 40]) {
      let error: unknown;
      try {
        new Session(model, { maxTokens });
      } catch (e) {
        error = e;
      }
      expect(error, `maxTokens ${maxTokens}`).toBeInstanceOf(OutOfMemoryError);
      expect((error as KvkitError).message).toMatch(/maxTokens/);
    }
    using session = new Session(model, {});
    expect((await collect(session, PROMPT, 2)).tokens).toHaveLength(2);
  });
});
