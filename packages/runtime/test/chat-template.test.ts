// Chat templates render through @huggingface/jinja as transformers' apply_chat_template does.
import { describe, expect, it } from 'vitest';
import { ChatTemplateError, PLAIN_CHAT_TEMPLATE, renderChat } from '../src/index.js';

// ChatML, as Qwen2 and SmolLM2 ship it in tokenizer_config.json (abridged to the message loop).
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
// Llama 2's template prints bos_token/eos_token itself.
const LLAMA2 =
  "{% for message in messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}" +
  "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + ' ' + eos_token }}{% endif %}{% endfor %}";

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hi there' },
  { role: 'assistant', content: 'Hello.' },
  { role: 'user', content: 'Name a colour.' },
];

describe('renderChat', () => {
  it('ChatML', () => {
    expect(renderChat({ template: CHATML }, messages)).toBe(
      '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(renderChat({ template: CHATML }, messages, false).endsWith('Name a colour.<|im_end|>\n')).toBe(true);
  });

  it('bos_token and eos_token come from the model', () => {
    const m = messages.slice(1);
    expect(renderChat({ template: LLAMA2, bosToken: '<s>', eosToken: '</s>' }, m)).toBe('<s>[INST] Hi there [/INST] Hello. </s><s>[INST] Name a colour. [/INST]');
  });

  it('the plain fallback: system text, then User:/Assistant: lines, ending where the reply starts', () => {
    expect(renderChat({ template: PLAIN_CHAT_TEMPLATE }, messages)).toBe('You are terse.\n\nUser: Hi there\nAssistant: Hello.\nUser: Name a colour.\nAssistant:');
  });

  it('a previous render is a prefix of the next turn (what lets a chat reuse its cache)', () => {
    for (const template of [CHATML, PLAIN_CHAT_TEMPLATE]) {
      const first = renderChat({ template }, messages.slice(0, 2));
      const next = renderChat({ template }, messages);
      expect(next.startsWith(first)).toBe(true);
    }
  });

  it('typed errors: bad template, raise_exception, bad messages', () => {
    expect(() => renderChat({ template: '{% for %}' }, messages)).toThrow(ChatTemplateError);
    expect(() => renderChat({ template: "{{ raise_exception('roles must alternate') }}" }, messages)).toThrow(/roles must alternate/);
    expect(() => renderChat({ template: CHATML }, [])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => renderChat({ template: CHATML }, [{ role: 'user' } as never])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
