import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GgufValue } from '../src/index.js';
import { MalformedFileError, chatTemplateFromHf, loadModelFrom, readGguf, writeGguf } from '../src/index.js';
import { GQA_DIR } from './http-server.js';
import { shared, thrown } from './shared.js';

const TEMPLATE = "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{{ eos_token }}{% endfor %}";

/** stories260K.gguf with extra metadata entries. */
function ggufWith(extra: [string, GgufValue][]): Uint8Array {
  const file = readGguf(shared('stories260K.gguf'));
  return writeGguf({ metadata: [...file.metadata, ...extra], tensors: file.tensors });
}

const gqaFiles = (extra: Record<string, Uint8Array>) => ({
  files: { ...Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json'].map((n) => [n, new Uint8Array(readFileSync(GQA_DIR + n))])), ...extra },
});
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

describe('chat templates', () => {
  it("comes from a GGUF's tokenizer.chat_template, with BOS/EOS as its vocabulary spells them", async () => {
    const m = await loadModelFrom(ggufWith([['tokenizer.chat_template', { type: 'string', value: TEMPLATE }]]));
    // stories260K's vocabulary (Llama 2's SentencePiece layout): id 1 is <s>, id 2 is </s>.
    expect(m.chatTemplate).toEqual({ template: TEMPLATE, bosToken: '<s>', eosToken: '</s>' });
    expect((await loadModelFrom(shared('stories260K.gguf'))).chatTemplate).toBeUndefined();
    await expect(loadModelFrom(ggufWith([['tokenizer.chat_template', { type: 'u32', value: 1 }]]))).rejects.toBeInstanceOf(MalformedFileError);
  });

  it("comes from an HF folder's tokenizer_config.json (string or {content} tokens)", async () => {
    const cfg = { chat_template: TEMPLATE, bos_token: '<s>', eos_token: { content: '</s>', lstrip: false, special: true } };
    const m = await loadModelFrom(gqaFiles({ 'tokenizer_config.json': json(cfg) }));
    expect(m.chatTemplate).toEqual({ template: TEMPLATE, bosToken: '<s>', eosToken: '</s>' });
    expect((await loadModelFrom(gqaFiles({}))).chatTemplate).toBeUndefined();
    expect((await loadModelFrom(gqaFiles({ 'tokenizer_config.json': json({ bos_token: '<s>' }) }))).chatTemplate).toBeUndefined();
  });

  it("prefers chat_template.jinja, which newer transformers save beside tokenizer_config.json", async () => {
    const m = await loadModelFrom(gqaFiles({ 'tokenizer_config.json': json({ chat_template: 'old', eos_token: '</s>' }), 'chat_template.jinja': new TextEncoder().encode(TEMPLATE) }));
    expect(m.chatTemplate).toEqual({ template: TEMPLATE, eosToken: '</s>' });
  });

  it("takes 'default' from a list of named templates and rejects other shapes", () => {
    const list = [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }];
    expect(chatTemplateFromHf({ chat_template: list })).toEqual({ template: 'D' });
    expect(chatTemplateFromHf({ chat_template: [{ name: 'rag', template: 'R' }] })).toBeUndefined();
    expect(thrown(() => chatTemplateFromHf({ chat_template: 7 }), MalformedFileError).message).toMatch(/chat_template must be a string/);
    expect(thrown(() => chatTemplateFromHf({ chat_template: [{ name: 'default' }] }), MalformedFileError).message).toMatch(/\{name, template\}/);
    expect(thrown(() => chatTemplateFromHf({ chat_template: 'x', bos_token: 3 }), MalformedFileError).message).toMatch(/bos_token/);
  });
});
