import type { CacheStats, CompressionReport } from '@kvkit/cache';
import type { Tokenizer } from '@kvkit/loaders';
import { InvalidArgumentError, KvkitError } from '@kvkit/tensor';
import { ContextOverflowError } from '../errors.js';
import { generate } from '../generate.js';
import type { SamplerOptions } from '../sampler.js';
import { Sampler } from '../sampler.js';
import type { Session } from '../session.js';
import type { TextSnapshotState } from '../snapshot/session-snapshot.js';
import type { ChatMessage, ChatTemplateSource } from './chat-template.js';
import { ChatTemplateMissingError, PLAIN_CHAT_STOP, PLAIN_CHAT_TEMPLATE, renderChat } from './chat-template.js';
import type { GenerationResult, TextChunk, TextFinishReason } from './generation-stream.js';
import { GenerationStream } from './generation-stream.js';
import { checkStopStrings, StopStringMatcher } from './stop-strings.js';
import { TokenTextStream } from './token-text.js';

export interface TextGenerateOptions extends SamplerOptions {
  /** Most tokens to generate (default: up to the end of the context). */
  readonly maxTokens?: number;
  /** Strings that end generation; the text returned stops just before the first one. */
  readonly stop?: string | readonly string[];
  /** Token ids that end generation and are not emitted (default: the model's BOS and EOS). */
  readonly stopTokens?: readonly number[];
  readonly signal?: AbortSignal;
}

export interface ChatOptions extends TextGenerateOptions {
  /**
   * The chat template: default the model's own (GGUF `tokenizer.chat_template`, or `chat_template`
   * in tokenizer_config.json); 'plain' for the plain-text fallback (`PLAIN_CHAT_TEMPLATE`, which also
   * stops at "\nUser:"); or a Jinja source.
   */
  readonly template?: 'plain' | (string & {});
}

/** A second generation started on a session while one is still running. */
export class SessionBusyError extends KvkitError {
  constructor(message = 'this session is already generating: wait for it (or abort it) first, or use another session') {
    super('SESSION_BUSY', message);
  }
}

/**
 * One sequence as text: a low-level `Session` (its KV cache, its policy) plus the tokenizer. Each
 * `generate` continues the sequence where it stands; `chat` renders a conversation and prefills only
 * what the cache does not hold yet. `reset()` starts over.
 */
export class TextSession implements Disposable {
  /** The token-level session: its cache is the one this object fills. */
  readonly session: Session;
  readonly tokenizer: Tokenizer;
  readonly #template: ChatTemplateSource | undefined;
  /** The last sampled token, not yet fed to the model (it is fed first by the next call). */
  #pending: number | undefined;
  /** Text of the tokens fed so far and of `#pending`: what a chat render must start with to reuse the cache. */
  #text = '';
  #busy = false;

  /** `state`: the pending token and text of a restored snapshot (`LanguageModel.restoreSession`). */
  constructor(session: Session, tokenizer: Tokenizer, chatTemplate?: ChatTemplateSource, state?: TextSnapshotState) {
    this.session = session;
    this.tokenizer = tokenizer;
    this.#template = chatTemplate;
    if (state) {
      this.#pending = state.pending ?? undefined;
      this.#text = state.text;
    }
  }

  /**
   * The session as bytes (its cache, policy state, tokens, and the sampled token not fed yet and the
   * text so far), for `LanguageModel.restoreSession`: a generate or chat after the restore continues
   * as this session would. Not while generating (SessionBusyError).
   */
  async snapshot(opts: { meta?: unknown } = {}): Promise<Uint8Array> {
    if (this.#busy) throw new SessionBusyError();
    return this.session.snapshot({ ...opts, text: { pending: this.#pending ?? null, text: this.#text } });
  }

  /** Continue the sequence with `prompt` (BOS first on an empty session) and stream the generated text. */
  generate(prompt: string, opts: TextGenerateOptions = {}): GenerationStream {
    if (typeof prompt !== 'string') throw new InvalidArgumentError(`prompt must be a string, got ${typeof prompt}`);
    const fresh = this.session.position === 0 && this.#pending === undefined;
    const tokens = this.tokenizer.encode(prompt, { bos: fresh });
    return this.#run(tokens, prompt, opts, 'prepend');
  }

  /**
   * Answer the last message of a conversation. When the rendered conversation extends the text this
   * session already holds (the usual case: the previous turns with the reply this session generated),
   * only the new part is prefilled; otherwise the session starts over with the whole conversation.
   */
  chat(messages: readonly ChatMessage[], opts: ChatOptions & { stream: false }): Promise<GenerationResult>;
  chat(messages: readonly ChatMessage[], opts?: ChatOptions & { stream?: true }): GenerationStream;
  chat(messages: readonly ChatMessage[], opts: ChatOptions & { stream?: boolean } = {}): GenerationStream | Promise<GenerationResult> {
    const plain = opts.template === 'plain';
    const template = plain ? { template: PLAIN_CHAT_TEMPLATE } : opts.template !== undefined ? { ...this.#template, template: opts.template } : this.#template;
    if (!template) {
      throw new ChatTemplateMissingError(
        "this model has no chat template (GGUF metadata 'tokenizer.chat_template', or 'chat_template' in tokenizer_config.json); " +
          "pass { template: 'plain' } for the plain-text fallback (User:/Assistant: lines) or { template: '<jinja source>' }",
      );
    }
    const rendered = renderChat(template, messages);
    const run = { ...opts, ...(opts.stop === undefined && plain ? { stop: PLAIN_CHAT_STOP } : {}) };
    const held = this.#text;
    let stream: GenerationStream;
    if (this.session.position > 0 && held.length > 0 && rendered.length > held.length && rendered.startsWith(held)) {
      const added = rendered.slice(held.length);
      stream = this.#run(this.tokenizer.encode(added, { bos: false }), added, run, 'prepend', this.session.position);
    } else {
      // BOS comes from the template when it writes bos_token itself, else from the tokenizer.
      const bosText = template.bosToken;
      const fromTemplate = !!bosText && template.template.includes('bos_token');
      const text = fromTemplate && rendered.startsWith(bosText) ? rendered.slice(bosText.length) : rendered;
      const tokens = this.tokenizer.encode(text, { bos: fromTemplate ? rendered.startsWith(bosText) : true });
      stream = this.#run(tokens, rendered, run, 'restart');
    }
    return opts.stream === false ? stream.text() : stream;
  }

  /**
   * `pending`: how the last sampled, not yet fed token is handled: fed before `tokens` ('prepend'),
   * or dropped with the whole sequence ('restart').
   */
  #run(tokens: number[], text: string, opts: TextGenerateOptions, pending: 'prepend' | 'restart', reused = 0): GenerationStream {
    // Everything is validated before the first token is fed: a bad call leaves the session as it was.
    if (this.#busy) throw new SessionBusyError();
    const stops = checkStopStrings(opts.stop);
    const { session, tokenizer } = this;
    const restart = pending === 'restart';
    if (pending === 'prepend' && this.#pending !== undefined) tokens = [this.#pending, ...tokens];
    const start = restart ? 0 : session.position;
    const room = session.maxTokens - start;
    if (tokens.length === 0) throw new InvalidArgumentError('nothing to feed: the prompt is empty and the session holds no pending token');
    if (tokens.length >= room) throw new ContextOverflowError(`the prompt needs ${tokens.length} tokens but only ${room - 1} fit before the context of ${session.maxTokens} ends (one is needed to generate)`);
    const maxTokens = opts.maxTokens ?? room - tokens.length;
    if (!(Number.isSafeInteger(maxTokens) && maxTokens >= 1)) throw new InvalidArgumentError(`maxTokens must be a positive integer, got ${opts.maxTokens}`);
    const seed = opts.seed ?? ((opts.temperature ?? 0) > 0 ? (Math.random() * 0x7fffffff) >>> 0 || 1 : 1337);
    const sampling = { temperature: opts.temperature, topK: opts.topK, topP: opts.topP, seed };
    new Sampler(sampling); // checks the sampling options now (typed errors), before anything changes
    const prevToken = tokens[tokens.length - 1]!;
    const position = session.position;
    // The session changes only once the stream is iterated: a stream never iterated changes nothing.
    const begin = (): void => {
      if (this.#busy) throw new SessionBusyError();
      if (session.position !== position) throw new SessionBusyError('the session moved on since this stream was created: create it again');
      if (restart) this.reset();
      this.#busy = true;
      this.#pending = undefined;
      this.#text += text;
    };
    const state = {
      generated: [] as number[],
      out: '',
      finish: 'cancelled' as TextFinishReason,
      prefillMs: 0,
      decodeMs: 0,
    };
    const result = (): GenerationResult => {
      const steps = Math.max(0, state.generated.length - 1);
      return {
        text: state.out,
        finishReason: state.finish,
        promptTokens: tokens.length,
        reusedTokens: reused,
        generatedTokens: state.generated.length,
        tokens: state.generated,
        seed,
        timings: { prefillMs: state.prefillMs, decodeMs: state.decodeMs, tokensPerSecond: steps > 0 && state.decodeMs > 0 ? (steps * 1000) / state.decodeMs : 0 },
      };
    };
    const self = this;
    async function* run(): AsyncGenerator<TextChunk, GenerationResult> {
      begin();
      const it = generate(session, tokens, { maxTokens, ...sampling, ...(opts.stopTokens ? { stopTokens: opts.stopTokens } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      const detok = new TokenTextStream(tokenizer, prevToken);
      const matcher = new StopStringMatcher(stops);
      let chunkTokens: number[] = [];
      try {
        for (;;) {
          const r = await it.next();
          if (r.done) {
            state.finish = r.value;
            break;
          }
          const { token, forwardMs } = r.value;
          if (state.generated.length === 0) state.prefillMs = forwardMs;
          else state.decodeMs += forwardMs;
          state.generated.push(token);
          // The token is sampled but fed only by the next step (or the next call).
          self.#pending = token;
          chunkTokens.push(token);
          const piece = detok.push(token);
          self.#text += piece;
          const m = matcher.push(piece);
          if (m.text) {
            state.out += m.text;
            yield { text: m.text, tokens: chunkTokens };
            chunkTokens = [];
          }
          if (m.stopped) {
            state.finish = 'stop-string';
            return result();
          }
        }
        const tail = detok.flush();
        self.#text += tail;
        const m = matcher.push(tail);
        const rest = m.text + (m.stopped ? '' : matcher.flush());
        if (m.stopped) state.finish = 'stop-string';
        if (rest || chunkTokens.length) {
          state.out += rest;
          yield { text: rest, tokens: chunkTokens };
        }
        return result();
      } finally {
        // generate() feeds a sampled token on the next step: if it did, it is no longer pending.
        if (self.#pending !== undefined && session.tokens[session.tokens.length - 1] === self.#pending && session.position === start + tokens.length + state.generated.length) self.#pending = undefined;
        self.#busy = false;
        await it.return('length');
      }
    }
    return new GenerationStream(run(), result);
  }

  /** A second session with everything this one holds so far, text and pending token included (see `Session.fork`). */
  async fork(): Promise<TextSession> {
    if (this.#busy) throw new SessionBusyError();
    const state = { pending: this.#pending ?? null, text: this.#text };
    return new TextSession(await this.session.fork(), this.tokenizer, this.#template, state);
  }

  /** Cache accounting of the sequence so far. */
  stats(): CacheStats {
    return this.session.stats();
  }

  /** Every token fed to the model so far (BOS included). */
  get tokens(): readonly number[] {
    return this.session.tokens;
  }

  get compressions(): readonly CompressionReport[] {
    return this.session.compressions;
  }

  get budget(): number | undefined {
    return this.session.budget;
  }

  /** Start a new sequence: the cache is emptied, the model and the options stay. */
  reset(): void {
    if (this.#busy) throw new SessionBusyError();
    this.session.reset();
    this.#pending = undefined;
    this.#text = '';
  }

  /** Frees the cache and the session's scratch (the model stays). */
  dispose(): void {
    this.session[Symbol.dispose]();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
