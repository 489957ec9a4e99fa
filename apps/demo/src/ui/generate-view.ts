// Prompt, streamed output, stop, and the numbers of the last generation. In chat mode the
// conversation is kept and each turn reuses the session's cache.
import type { ChatMessage } from '@kvkit/runtime';
import type { GenerationInput, GenerationSummary } from '../protocol.js';
import { formatBytes, h, option } from './dom.js';

export class GenerateView {
  readonly element: HTMLElement;
  readonly prompt: HTMLTextAreaElement;
  readonly generateButton: HTMLButtonElement;
  readonly stopButton: HTMLButtonElement;
  readonly output: HTMLElement;
  readonly #mode: HTMLSelectElement;
  readonly #transcript: HTMLElement;
  readonly #tps: HTMLElement;
  readonly #ttft: HTMLElement;
  readonly #tokens: HTMLElement;
  readonly #promptInfo: HTMLElement;
  readonly #finish: HTMLElement;
  readonly #bytes: HTMLElement;
  readonly #chatNote: HTMLElement;
  #messages: ChatMessage[] = [];
  #pendingUser: string | null = null;

  constructor(handlers: { generate: () => void; stop: () => void; newChat: () => void }) {
    this.prompt = h('textarea', { testid: 'prompt', rows: 4, placeholder: 'Once upon a time' }) as HTMLTextAreaElement;
    this.prompt.value = 'Once upon a time, there was a little dog named Max.';
    this.prompt.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) handlers.generate();
    });
    this.generateButton = h('button', { testid: 'generate', class: 'primary', onclick: handlers.generate }, 'Generate');
    this.stopButton = h('button', { testid: 'stop', onclick: handlers.stop, disabled: true }, 'Stop');
    this.#mode = h('select', { testid: 'mode', onchange: () => this.#renderMode() }, option('text', 'text completion', true), option('chat', 'chat (cache kept between turns)'));
    const newChat = h('button', { testid: 'new-chat', onclick: () => (this.#messages = [], this.#renderTranscript(), handlers.newChat()) }, 'New chat');
    this.#transcript = h('div', { class: 'transcript', testid: 'transcript' });
    this.#chatNote = h('small', { class: 'muted', testid: 'chat-template' }, '');
    this.output = h('div', { testid: 'output', class: 'output' });
    this.#tps = h('span', { testid: 'tokens-per-second', class: 'mono' }, '–');
    this.#ttft = h('span', { testid: 'ttft', class: 'mono' }, '–');
    this.#tokens = h('span', { testid: 'generated-tokens', class: 'mono' }, '–');
    this.#promptInfo = h('span', { class: 'muted' }, '');
    this.#finish = h('span', { testid: 'finish-reason', class: 'mono' }, '–');
    this.#bytes = h('span', { class: 'mono' }, '–');
    this.element = h(
      'section',
      { class: 'panel generate-view' },
      h('div', { class: 'row' }, h('h2', {}, 'Generate'), this.#mode, newChat),
      h('p', { class: 'muted intro' }, 'Pick a cache policy and budget on the left, press Generate, and watch below which tokens the cache keeps and what it costs. The needle playground asks whether a hidden fact survives.'),
      this.#chatNote,
      this.#transcript,
      this.prompt,
      h('div', { class: 'row' }, this.generateButton, this.stopButton, h('small', { class: 'muted' }, 'Ctrl+Enter generates. The model runs in a Web Worker: the page stays responsive.')),
      this.output,
      h(
        'div',
        { class: 'metrics' },
        h('span', {}, 'tokens/s ', this.#tps),
        h('span', {}, 'time to first token ', this.#ttft, ' ms'),
        h('span', {}, 'tokens ', this.#tokens, ' ', this.#promptInfo),
        h('span', {}, 'finish ', this.#finish),
        h('span', {}, 'cache ', this.#bytes),
      ),
    );
    this.#renderMode();
  }

  get mode(): 'text' | 'chat' {
    return this.#mode.value as 'text' | 'chat';
  }

  /** Which chat template a chat uses: the model's own, or the plain-text fallback when it has none. */
  setChatTemplate(modelHasOne: boolean): void {
    this.#chatNote.textContent = modelHasOne
      ? "Chat renders the model's own chat template."
      : 'This model has no chat template: chat uses the plain fallback (User: … / Assistant: … lines, stopping at the next "User:").';
  }

  #renderMode(): void {
    this.#transcript.hidden = this.mode !== 'chat';
    this.#chatNote.hidden = this.mode !== 'chat';
    this.prompt.placeholder = this.mode === 'chat' ? 'Your message' : 'Once upon a time';
  }

  #renderTranscript(): void {
    this.#transcript.replaceChildren(...this.#messages.map((m) => h('div', { class: `msg ${m.role}` }, h('b', {}, `${m.role}: `), m.content)));
  }

  /** The input of the next generation: the prompt, or the conversation with the prompt as the new user turn. */
  input(): GenerationInput {
    const text = this.prompt.value;
    if (this.mode === 'text') return { kind: 'text', prompt: text };
    this.#pendingUser = text;
    return { kind: 'chat', messages: [...this.#messages, { role: 'user', content: text }] };
  }

  start(): void {
    this.output.textContent = '';
    this.#tps.textContent = '–';
    this.#ttft.textContent = '–';
    this.#tokens.textContent = '0';
    this.#promptInfo.textContent = '';
    this.#finish.textContent = 'running';
  }

  chunk(text: string, generated: number, elapsedMs: number, ttftMs: number): void {
    this.output.append(text);
    this.#tokens.textContent = String(generated);
    if (generated === 1 || this.#ttft.textContent === '–') this.#ttft.textContent = ttftMs.toFixed(0);
    if (generated > 1 && elapsedMs > ttftMs) this.#tps.textContent = (((generated - 1) * 1000) / (elapsedMs - ttftMs)).toFixed(1);
  }

  cacheBytes(bytes: number): void {
    this.#bytes.textContent = formatBytes(bytes);
  }

  finish(r: GenerationSummary): void {
    this.output.textContent = r.text;
    // The token ids, for tools and tests that compare runs exactly.
    this.output.dataset.tokens = r.tokens.join(',');
    this.#tps.textContent = r.tokensPerSecond.toFixed(1);
    this.#ttft.textContent = r.timeToFirstTokenMs.toFixed(0);
    this.#tokens.textContent = String(r.generatedTokens);
    this.#promptInfo.textContent = r.finishReason === 'aborted' ? '' : `(prompt ${r.promptTokens}${r.reusedTokens ? `, ${r.reusedTokens} reused from the cache` : ''})`;
    this.#finish.textContent = r.finishReason;
    if (this.mode === 'chat' && this.#pendingUser !== null) {
      this.#messages.push({ role: 'user', content: this.#pendingUser }, { role: 'assistant', content: r.text });
      this.#pendingUser = null;
      this.prompt.value = '';
      this.#renderTranscript();
    }
  }

  setRunning(running: boolean): void {
    this.generateButton.disabled = running;
    this.stopButton.disabled = !running;
  }
}
