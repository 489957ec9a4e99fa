import { InvalidArgumentError } from '@kvkit/tensor';
import type { ChatMessage } from '../text/chat-template.js';
import type { GenerationResult, GenerationStream, TextFinishReason } from '../text/generation-stream.js';
import type { TextSession } from '../text/text-session.js';
import type { LanguageModel } from './language-model.js';

/** The request fields of OpenAI's chat.completions.create that kvkit honours. */
export interface ChatCompletionRequest {
  readonly messages: readonly ChatMessage[];
  readonly stream?: boolean;
  readonly max_tokens?: number;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly stop?: string | readonly string[];
  readonly seed?: number;
  /** Echoed back; kvkit always answers with the loaded model. */
  readonly model?: string;
  /** kvkit: the chat template ('plain' for models without one). */
  readonly template?: 'plain' | (string & {});
  readonly signal?: AbortSignal;
}

export interface ChatCompletionChunk {
  readonly id: string;
  readonly object: 'chat.completion.chunk';
  readonly created: number;
  readonly model: string;
  readonly choices: readonly { readonly index: 0; readonly delta: { readonly role?: 'assistant'; readonly content?: string }; readonly finish_reason: 'stop' | 'length' | null }[];
}

export interface ChatCompletion {
  readonly id: string;
  readonly object: 'chat.completion';
  readonly created: number;
  readonly model: string;
  readonly choices: readonly { readonly index: 0; readonly message: { readonly role: 'assistant'; readonly content: string }; readonly finish_reason: 'stop' | 'length' }[];
  readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number; readonly total_tokens: number };
}

/** OpenAI's finish reasons: a length or context limit is 'length', anything else 'stop'. */
const finishOf = (r: TextFinishReason): 'stop' | 'length' => (r === 'length' || r === 'context' ? 'length' : 'stop');

let counter = 0;

/**
 * `model.chat.completions.create(...)`, shaped like OpenAI's client for drop-in use. Requests are
 * stateless (the whole conversation each time), but one session serves them in turn: when a request
 * extends the previous conversation, only its new messages are prefilled.
 */
export class ChatCompletions {
  readonly #model: LanguageModel;
  #session: TextSession | undefined;
  /** Requests run one at a time on the shared session. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(model: LanguageModel) {
    this.#model = model;
  }

  create(req: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk>>;
  create(req: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
  async create(req: ChatCompletionRequest): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    if (typeof req !== 'object' || req === null) throw new InvalidArgumentError('create needs a request object { messages, ... }');
    const opts = {
      ...(req.max_tokens !== undefined ? { maxTokens: req.max_tokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.top_p !== undefined ? { topP: req.top_p } : {}),
      ...(req.seed !== undefined ? { seed: req.seed } : {}),
      ...(req.stop !== undefined ? { stop: req.stop } : {}),
      ...(req.template !== undefined ? { template: req.template } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    };
    const id = `chatcmpl-kvkit-${Date.now().toString(36)}-${(counter++).toString(36)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = req.model ?? 'kvkit';
    // Wait for earlier requests; then the session is ours until this one's stream ends.
    let release!: () => void;
    const turn = this.#queue.then(() => undefined);
    this.#queue = turn.then(() => new Promise<void>((r) => (release = r)));
    await turn;
    let stream: GenerationStream;
    try {
      this.#session ??= this.#model.createSession();
      stream = this.#session.chat(req.messages, opts);
    } catch (e) {
      release();
      throw e;
    }
    if (!req.stream) {
      try {
        const r: GenerationResult = await stream.text();
        return {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: finishOf(r.finishReason) }],
          usage: { prompt_tokens: r.promptTokens + r.reusedTokens, completion_tokens: r.generatedTokens, total_tokens: r.promptTokens + r.reusedTokens + r.generatedTokens },
        };
      } finally {
        release();
      }
    }
    const chunk = (delta: ChatCompletionChunk['choices'][0]['delta'], finish: 'stop' | 'length' | null): ChatCompletionChunk => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
    async function* deltas(): AsyncGenerator<ChatCompletionChunk> {
      try {
        yield chunk({ role: 'assistant', content: '' }, null);
        for await (const c of stream) if (c.text) yield chunk({ content: c.text }, null);
        yield chunk({}, finishOf((await stream.result).finishReason));
      } finally {
        release();
      }
    }
    return deltas();
  }

  dispose(): void {
    this.#session?.[Symbol.dispose]();
    this.#session = undefined;
  }
}
