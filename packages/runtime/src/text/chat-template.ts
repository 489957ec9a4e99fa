import { Template } from '@huggingface/jinja';
import { KvkitError } from '@kvkit/tensor';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant' | (string & {});
  readonly content: string;
}

/** A model's chat template: its Jinja source and the special-token texts templates refer to. */
export interface ChatTemplateSource {
  readonly template: string;
  readonly bosToken?: string;
  readonly eosToken?: string;
}

/** A chat request on a model whose files carry no chat template, with no template given instead. */
export class ChatTemplateMissingError extends KvkitError {
  constructor(message: string) {
    super('CHAT_TEMPLATE_MISSING', message);
  }
}

/** A chat template that does not parse or fails while rendering (`raise_exception` included). */
export class ChatTemplateError extends KvkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHAT_TEMPLATE', message, options);
  }
}

/**
 * The documented fallback for models trained without a chat format (the project's own models, base
 * models): a system prompt, then `User: …` / `Assistant: …` lines. Generation stops at the next
 * "\nUser:" (PLAIN_CHAT_STOP).
 */
export const PLAIN_CHAT_TEMPLATE =
  "{% for m in messages %}{% if m.role == 'system' %}{{ m.content | trim }}{{ '\\n\\n' }}" +
  "{% elif m.role == 'user' %}{{ 'User: ' + (m.content | trim) + '\\n' }}" +
  "{% else %}{{ 'Assistant: ' + (m.content | trim) + '\\n' }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";
export const PLAIN_CHAT_STOP = ['\nUser:'] as const;

const parsed = new Map<string, Template>();

/** Parse once per template source (Jinja parsing is the expensive part). */
function compile(source: string): Template {
  let t = parsed.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(`chat template does not parse: ${(e as Error).message}`, { cause: e });
    }
    parsed.set(source, t);
  }
  return t;
}

function checkMessages(messages: unknown): asserts messages is readonly ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw new KvkitError('INVALID_ARGUMENT', 'messages must be a non-empty array of { role, content }');
  messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string' || typeof m.content !== 'string') {
      throw new KvkitError('INVALID_ARGUMENT', `messages[${i}] must be { role: string, content: string }`);
    }
  });
}

/**
 * The prompt text of a conversation, rendered with the model's template as transformers'
 * `apply_chat_template` does (`add_generation_prompt` true: the text ends where the assistant's
 * reply begins).
 */
export function renderChat(template: ChatTemplateSource, messages: readonly ChatMessage[], addGenerationPrompt = true): string {
  checkMessages(messages);
  const t = compile(template.template);
  try {
    return t.render({
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: addGenerationPrompt,
      bos_token: template.bosToken ?? '',
      eos_token: template.eosToken ?? '',
    });
  } catch (e) {
    throw new ChatTemplateError(`chat template failed to render: ${(e as Error).message}`, { cause: e });
  }
}
