// The chat template a model file carries: GGUF metadata, or HF tokenizer_config.json / chat_template.jinja.
import { MalformedFileError } from './errors.js';
import type { GgufMetadata } from './gguf/metadata.js';
import { metaArray, metaString, metaUint } from './gguf/metadata.js';
import type { ChatTemplate } from './model-config.js';
import { showJson } from './show-json.js';

/** `tokenizer.chat_template`, with BOS/EOS as the vocabulary spells them; undefined when the file has none. */
export function chatTemplateFromGguf(meta: GgufMetadata): ChatTemplate | undefined {
  const template = metaString(meta, 'tokenizer.chat_template');
  if (template === undefined) return undefined;
  const tokens = metaArray(meta, 'tokenizer.ggml.tokens', 'string');
  const text = (key: string): string | undefined => (tokens && meta.has(key) ? tokens[metaUint(meta, key)] : undefined);
  const bosToken = text('tokenizer.ggml.bos_token_id');
  const eosToken = text('tokenizer.ggml.eos_token_id');
  return { template, ...(bosToken !== undefined ? { bosToken } : {}), ...(eosToken !== undefined ? { eosToken } : {}) };
}

const FILE = 'tokenizer_config.json';

/** `chat_template` is a string, or a list of named templates of which transformers uses 'default'. */
function templateOf(value: unknown): string | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value ?? undefined;
  if (Array.isArray(value)) {
    for (const t of value) {
      const named = t as { name?: unknown; template?: unknown } | null;
      if (typeof named !== 'object' || named === null || typeof named.name !== 'string' || typeof named.template !== 'string') {
        throw new MalformedFileError(`${FILE}: chat_template entries must be {name, template} strings, got ${showJson(t)}`);
      }
      if (named.name === 'default') return named.template;
    }
    return undefined;
  }
  throw new MalformedFileError(`${FILE}: chat_template must be a string or a list of {name, template}, got ${typeof value}`);
}

/** `bos_token` / `eos_token`: a string, or an added-token object whose `content` is the text. */
function tokenText(cfg: Record<string, unknown>, key: string): string | undefined {
  const v = cfg[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  const content = (v as { content?: unknown }).content;
  if (typeof v === 'object' && typeof content === 'string') return content;
  throw new MalformedFileError(`${FILE}: ${key} must be a string or {content}, got ${showJson(v)}`);
}

/**
 * The template of an HF folder: `chat_template.jinja` when there is one (newer transformers save it there),
 * else tokenizer_config.json's `chat_template`; BOS/EOS text from tokenizer_config.json.
 */
export function chatTemplateFromHf(tokenizerConfig: object | undefined, jinja?: string): ChatTemplate | undefined {
  const cfg = (tokenizerConfig ?? {}) as Record<string, unknown>;
  const template = jinja ?? templateOf(cfg.chat_template);
  if (template === undefined) return undefined;
  const bosToken = tokenText(cfg, 'bos_token');
  const eosToken = tokenText(cfg, 'eos_token');
  return { template, ...(bosToken !== undefined ? { bosToken } : {}), ...(eosToken !== undefined ? { eosToken } : {}) };
}
