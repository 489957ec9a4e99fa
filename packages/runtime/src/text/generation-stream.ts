/**
 * Why a text generation ended: a stop token (EOS), `maxTokens`, the context, a stop string, or the
 * consumer leaving the loop early ('cancelled').
 */
export type TextFinishReason = 'stop' | 'length' | 'context' | 'stop-string' | 'cancelled';

/** One piece of streamed text and the token ids it came from (text is never a broken character). */
export interface TextChunk {
  readonly text: string;
  readonly tokens: readonly number[];
}

export interface GenerationResult {
  /** The generated text (stop string excluded). */
  readonly text: string;
  readonly finishReason: TextFinishReason;
  /** Tokens prefilled by this call (only the new ones when a chat turn reused the cache). */
  readonly promptTokens: number;
  /** Tokens of the conversation already in the cache and not prefilled again. */
  readonly reusedTokens: number;
  readonly generatedTokens: number;
  /** The generated token ids. */
  readonly tokens: readonly number[];
  /** The sampling seed used (drawn fresh when sampling with no seed given). */
  readonly seed: number;
  readonly timings: {
    /** Prefill of the new prompt tokens, which also yields the first generated token. */
    readonly prefillMs: number;
    readonly decodeMs: number;
    /** Decode steps per second (the first token comes from the prefill). */
    readonly tokensPerSecond: number;
  };
}

/**
 * The stream of one generation: iterate it for text chunks (once); `result` settles when it ends.
 * `text()` runs it to the end and returns the result.
 */
export class GenerationStream implements AsyncIterable<TextChunk> {
  readonly result: Promise<GenerationResult>;
  readonly #gen: AsyncGenerator<TextChunk, GenerationResult>;
  readonly #partial: () => GenerationResult;
  #settled = false;
  #settle!: { resolve: (r: GenerationResult) => void; reject: (e: unknown) => void };
  #iterated = false;

  /** `partial`: the result so far, for a consumer that stops iterating early. */
  constructor(gen: AsyncGenerator<TextChunk, GenerationResult>, partial: () => GenerationResult) {
    this.#partial = partial;
    this.result = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    // A caller that only iterates never awaits `result`: keep its rejection from being unhandled.
    this.result.catch(() => {});
    this.#gen = gen;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TextChunk, void> {
    if (this.#iterated) throw new TypeError('a GenerationStream can be iterated once');
    this.#iterated = true;
    try {
      for (;;) {
        const r = await this.#gen.next();
        if (r.done) {
          this.#settled = true;
          this.#settle.resolve(r.value);
          return;
        }
        yield r.value;
      }
    } catch (e) {
      this.#settled = true;
      this.#settle.reject(e);
      throw e;
    } finally {
      if (!this.#settled) {
        // The consumer left the loop early (break): end the generation where it is.
        await this.#gen.return(undefined as never);
        this.#settled = true;
        this.#settle.resolve(this.#partial());
      }
    }
  }

  /** Run to the end; the result (its `text` is the whole generated text). */
  async text(): Promise<GenerationResult> {
    for await (const _ of this) void _;
    return this.result;
  }
}
