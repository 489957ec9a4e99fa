import type { BudgetSpec, CachePolicyOptions, PolicyInput } from '@kvkit/cache';
import { chooseCacheForBytes } from '@kvkit/cache';
import type { LoadedModel, LoadModelFromOptions, ModelConfig, ModelSource, Tokenizer } from '@kvkit/loaders';
import { LoadAbortedError, loadModelFrom } from '@kvkit/loaders';
import type { Backend } from '@kvkit/tensor';
import { InvalidArgumentError, KvkitError } from '@kvkit/tensor';
import { LlamaModel } from '../llama-model.js';
import type { RestoreOptions, SessionOptions } from '../session.js';
import { restoreSessionSnapshot, Session } from '../session.js';
import type { ChatTemplateSource } from '../text/chat-template.js';
import { TextSession } from '../text/text-session.js';
import type { BackendChoice, BackendInfo, BackendOptions } from './backend-choice.js';
import { openBackend } from './backend-choice.js';
import { ChatCompletions } from './openai-chat.js';

export interface LoadLanguageModelOptions extends BackendOptions, Pick<LoadModelFromOptions, 'tokenizer' | 'onProgress' | 'signal' | 'cache'> {
  /** Default 'auto': WebGPU on a hardware GPU, else the WASM backend with a thread per core. */
  readonly backend?: BackendChoice;
}

export interface TextSessionOptions extends Omit<SessionOptions, 'policy'> {
  /** Which tokens to keep: a policy name ('snapkv', 'streaming', ...) or a policy object with its parameters. */
  readonly policy?: PolicyInput | PolicyInput['kind'];
  /** The policy's budget: tokens per layer, or `{ ratio }` of the prompt, or `{ maxBytes }` of the whole cache. */
  readonly budget?: number | BudgetSpec;
  /** Prefill methods: recompress every this many decoded tokens (see `CachePolicyOptions`). */
  readonly recompressInterval?: number;
  /**
   * A byte budget for the whole cache. Alone, the planner (`chooseCacheForBytes`) picks the KV dtype,
   * the policy and its budget for the session's context; with a policy, it is that policy's budget.
   */
  readonly maxBytes?: number;
}

/** A model file without a tokenizer (a llama2.c .bin with no tokenizer.bin beside it) used for text. */
export class TokenizerMissingError extends KvkitError {
  constructor(message: string) {
    super('TOKENIZER_MISSING', message);
  }
}

function policyOptions(opts: TextSessionOptions): CachePolicyOptions | undefined {
  if (opts.maxBytes !== undefined) {
    if (opts.budget !== undefined) throw new InvalidArgumentError('pass either maxBytes or budget, not both');
    if (opts.policy === undefined) return undefined;
    return policyOptions({ ...opts, maxBytes: undefined, budget: { maxBytes: opts.maxBytes } });
  }
  if (opts.policy === undefined) {
    if (opts.budget !== undefined) throw new InvalidArgumentError("a budget needs a policy: pass { policy: 'snapkv', budget: 64 } (or another policy)");
    return undefined;
  }
  const policy = typeof opts.policy === 'string' ? ({ kind: opts.policy } as PolicyInput) : opts.policy;
  if (policy.kind === 'full') return { policy, budget: { budget: 0 } };
  if (opts.budget === undefined) throw new InvalidArgumentError(`policy '${policy.kind}' needs a budget: tokens per layer (budget: 64), { ratio: 0.25 } or { maxBytes: 65536 }`);
  const budget = typeof opts.budget === 'number' ? { budget: opts.budget } : opts.budget;
  return { policy, budget, ...(opts.recompressInterval !== undefined ? { recompressInterval: opts.recompressInterval } : {}) };
}

/**
 * A language model ready to generate text: weights on a backend, its tokenizer and chat template.
 * Sessions (`createSession`) hold the KV caches; the model holds none.
 */
export class LanguageModel implements Disposable {
  readonly model: LlamaModel;
  readonly tokenizer: Tokenizer;
  readonly backendInfo: BackendInfo;
  readonly format: LoadedModel['format'];
  /** The chat template from the model's files, when they have one. */
  readonly chatTemplate: ChatTemplateSource | undefined;
  /** OpenAI-shaped chat completions over one session that keeps its cache across calls. */
  readonly chat: { readonly completions: ChatCompletions };
  #disposed = false;
  readonly #ownsBackend: boolean;

  /** `ownsBackend`: dispose the backend with the model (true unless the caller passed its own backend). */
  constructor(model: LlamaModel, loaded: Pick<LoadedModel, 'format' | 'chatTemplate'> & { tokenizer: Tokenizer }, backendInfo: BackendInfo, ownsBackend = true) {
    this.#ownsBackend = ownsBackend;
    this.model = model;
    this.tokenizer = loaded.tokenizer;
    this.format = loaded.format;
    this.chatTemplate = loaded.chatTemplate;
    this.backendInfo = backendInfo;
    this.chat = { completions: new ChatCompletions(this) };
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  get backend(): Backend {
    return this.model.backend;
  }

  /** A new sequence with its own KV cache, stored and compressed as the options say. */
  createSession(opts: TextSessionOptions = {}): TextSession {
    if (this.#disposed) throw new KvkitError('DISPOSED', 'this model was disposed');
    const { policy: _p, budget: _b, recompressInterval: _r, maxBytes, ...rest } = opts;
    let policy = policyOptions(opts);
    let storage = {};
    if (maxBytes !== undefined && opts.policy === undefined) {
      if (opts.kvDtype !== undefined) throw new InvalidArgumentError('with maxBytes alone the planner picks the KV dtype: drop kvDtype, or name a policy too');
      const choice = chooseCacheForBytes(this.config, { maxBytes, context: opts.maxTokens ?? this.config.contextLength });
      policy = choice.policy;
      storage = { kvDtype: choice.kvDtype, ...(choice.kivi ? { kivi: choice.kivi } : {}) };
    }
    const session = new Session(this.model, { ...rest, ...storage, ...(policy ? { policy } : {}) });
    return new TextSession(session, this.tokenizer, this.chatTemplate);
  }

  /**
   * A session from `TextSession.snapshot()` (or `Session.snapshot()`) bytes, made with this model on
   * any backend: it continues where the snapshot was taken. Typed errors for bad bytes (see
   * `Session.restore`); `opts` may insist on a KV dtype, layout or policy.
   */
  restoreSession(bytes: Uint8Array, opts: RestoreOptions = {}): TextSession {
    if (this.#disposed) throw new KvkitError('DISPOSED', 'this model was disposed');
    const { session, text } = restoreSessionSnapshot(this.model, bytes, opts);
    return new TextSession(session, this.tokenizer, this.chatTemplate, text ?? undefined);
  }

  /** Frees the weights and the backend (its threads or GPU device). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.chat.completions.dispose();
    this.model.dispose();
    if (this.#ownsBackend) this.model.backend[Symbol.dispose]();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Load a model for text generation from a path (Node), a URL, a File/Blob, bytes, or a set of named
 * files (an HF folder), onto a backend ('auto' by default). Progress and abort through the options.
 */
export async function loadLanguageModel(source: ModelSource, opts: LoadLanguageModelOptions = {}): Promise<LanguageModel> {
  const { backend: choice = 'auto', threads, webgpu, ...loadOpts } = opts;
  const loaded = await loadModelFrom(source, loadOpts);
  if (!loaded.tokenizer) {
    throw new TokenizerMissingError('the model has no tokenizer: pass { tokenizer } with a llama2.c tokenizer.bin (tok512.bin), or use a GGUF or an HF folder with tokenizer.json');
  }
  if (opts.signal?.aborted) throw new LoadAbortedError('model load aborted before the weights were uploaded');
  const { backend, info } = await openBackend(choice, { ...(threads !== undefined ? { threads } : {}), ...(webgpu ? { webgpu } : {}) });
  try {
    const model = LlamaModel.load(backend, loaded);
    return new LanguageModel(model, { ...loaded, tokenizer: loaded.tokenizer }, info, typeof choice !== 'object');
  } catch (e) {
    if (typeof choice !== 'object') backend[Symbol.dispose]();
    throw e;
  }
}
