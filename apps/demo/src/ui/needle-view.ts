// The needle playground: one haystack prompt with a fact at a chosen depth, answered under two to
// four cache policies at the same budget, each with its answer, bytes and heatmap; and the planner's
// recommendation for a byte budget.
import type { KvDtype, PolicyKind } from '@kvkit/cache';
import { recommendCache } from '@kvkit/cache';
import type { ModelSummary, NeedleRunRequest, NeedleRunResult } from '../protocol.js';
import { cacheSettings, KV_DTYPE_LIST, POLICIES, SettingsError } from '../settings.js';
import { CacheView } from './cache-view.js';
import { formatBytes, h, labelled, option } from './dom.js';

const DEFAULT_SLOTS: readonly string[] = ['full', 'snapkv', 'streaming', 'h2o'];

export interface NeedleParams {
  readonly length: number;
  readonly depth: number;
  readonly seed: number;
  readonly runs: readonly NeedleRunRequest[];
}

export class NeedleView {
  readonly element: HTMLElement;
  readonly runButton: HTMLButtonElement;
  readonly stopButton: HTMLButtonElement;
  readonly #length: HTMLInputElement;
  readonly #depth: HTMLInputElement;
  readonly #seed: HTMLInputElement;
  readonly #budget: HTMLInputElement;
  readonly #dtype: HTMLSelectElement;
  readonly #slots: HTMLSelectElement[];
  readonly #prompt: HTMLElement;
  readonly #results: HTMLElement;
  readonly #recBytes: HTMLInputElement;
  readonly #recOut: HTMLElement;
  #model: ModelSummary | null = null;
  #fact = { from: 0, to: 0 };

  constructor(run: () => void, stop: () => void) {
    this.#length = h('input', { testid: 'needle-length', value: '512', size: 6 });
    this.#depth = h('input', { testid: 'needle-depth', value: '0.5', size: 4 });
    this.#seed = h('input', { testid: 'needle-seed', value: '1', size: 4 });
    this.#budget = h('input', { testid: 'needle-budget', value: '64', size: 6 });
    this.#dtype = h('select', { testid: 'needle-kv-dtype' }, ...KV_DTYPE_LIST.map((d) => option(d, d, d === 'f32')));
    this.#slots = DEFAULT_SLOTS.map((kind, i) =>
      h('select', { testid: `needle-policy-${i}` }, option('', i < 2 ? '(pick one)' : '(off)'), ...POLICIES.map((p) => option(p.kind, p.title, p.kind === kind))),
    );
    this.runButton = h('button', { testid: 'needle-run', class: 'primary', onclick: run }, 'Ask the question under each policy');
    this.stopButton = h('button', { testid: 'needle-stop', onclick: stop, disabled: true }, 'Stop after this policy');
    this.#prompt = h('div', { class: 'needle-prompt', testid: 'needle-prompt' });
    this.#results = h('div', { class: 'needle-results' });
    this.#recBytes = h('input', { testid: 'recommend-bytes', value: '65536', size: 10 });
    this.#recOut = h('div', { testid: 'recommendation', class: 'recommendation' });
    this.element = h(
      'section',
      { class: 'panel needle-view' },
      h('h2', {}, 'Needle playground'),
      h('p', { class: 'muted' }, 'A secret code hidden in held-out TinyStories text, then asked for at the end. Which policies still answer it at the same budget?'),
      h(
        'div',
        { class: 'row wrap' },
        labelled('prompt tokens', this.#length),
        labelled('fact depth (0 = start, 1 = end)', this.#depth),
        labelled('seed', this.#seed),
        labelled('budget (tokens per layer)', this.#budget),
        labelled('KV dtype', this.#dtype),
      ),
      h('div', { class: 'row wrap' }, ...this.#slots.map((s, i) => labelled(`policy ${i + 1}`, s))),
      h('div', { class: 'row' }, this.runButton, this.stopButton),
      this.#prompt,
      this.#results,
      h('h3', {}, 'Which cache for my memory?'),
      h('div', { class: 'row' }, labelled('cache bytes I can spend', this.#recBytes), h('button', { testid: 'recommend', onclick: () => this.recommend() }, 'Recommend')),
      this.#recOut,
    );
  }

  setModel(m: ModelSummary): void {
    this.#model = m;
    this.#results.replaceChildren();
    this.#prompt.textContent = '';
  }

  /** The request as typed, or a SettingsError. */
  params(): NeedleParams {
    const num = (name: string, el: HTMLInputElement, ok: (v: number) => boolean, what: string) => {
      const v = Number(el.value.trim());
      if (el.value.trim() === '' || !ok(v)) throw new SettingsError(`needle ${name} must be ${what}, got '${el.value}'`);
      return v;
    };
    const length = num('prompt tokens', this.#length, (v) => Number.isSafeInteger(v) && v >= 64, 'a whole number ≥ 64');
    const depth = num('depth', this.#depth, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    const seed = num('seed', this.#seed, (v) => Number.isSafeInteger(v) && v >= 1, 'a whole number ≥ 1');
    const kinds = this.#slots.map((s) => s.value).filter((v) => v !== '');
    if (kinds.length < 2) throw new SettingsError('the playground compares two to four policies: pick at least two');
    const kvDtype = this.#dtype.value as KvDtype;
    const runs = kinds.map((kind) => ({ label: kind, cache: cacheSettings(kind as PolicyKind, {}, 'tokens', this.#budget.value, kvDtype) }));
    return { length, depth, seed, runs };
  }

  start(n: number): void {
    this.#results.replaceChildren(...Array.from({ length: n }, () => h('div', { class: 'needle-card pending' }, 'waiting…')));
  }

  /** Cards still waiting when the run ended were not run (stopped, or an error). */
  finish(): void {
    for (const card of [...this.#results.querySelectorAll('.needle-card.pending')]) card.textContent = 'not run';
  }

  promptInfo(code: string, tokens: number, fact: { from: number; to: number }, question: string): void {
    this.#fact = fact;
    this.#prompt.textContent = `${tokens} tokens; the fact (code ${code}) is tokens ${fact.from}-${fact.to - 1} (marked in red); the prompt ends: “…${question}”`;
  }

  result(i: number, r: NeedleRunResult): void {
    const view = new CacheView({ testPrefix: `needle-${i}-`, compact: true });
    const card = h(
      'div',
      { class: `needle-card ${r.correct ? 'right' : 'wrong'}` },
      h('h4', {}, r.snapshot.policy),
      h('div', {}, 'answer: ', h('b', { testid: `needle-answer-${i}` }, r.answer || '(none)'), ' ', h('span', { testid: `needle-verdict-${i}`, class: 'verdict' }, r.correct ? 'right' : 'wrong')),
      view.element,
    );
    this.#results.children[i]?.replaceWith(card);
    view.setModel(r.snapshot.kvSource.length, this.#model?.slidingWindow ?? null);
    view.setMark(this.#fact);
    view.update(r.snapshot);
    view.flush();
  }

  recommend(): void {
    const m = this.#model;
    if (!m) return;
    const text = this.#recBytes.value.trim();
    const maxBytes = Number(text);
    if (text === '' || !Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      this.#recOut.textContent = `Type a whole number of bytes (e.g. 65536), got '${text}'.`;
      this.#recOut.className = 'recommendation error-text';
      return;
    }
    this.#recOut.className = 'recommendation';
    let context: number;
    try {
      context = this.params().length;
    } catch {
      context = m.contextLength;
    }
    const model = { nLayers: m.nLayers, nHeads: m.nHeads, nKvHeads: m.nKvHeads, headDim: m.headDim, kvSource: m.kvSource, contextLength: m.contextLength };
    const r = recommendCache(model, context, maxBytes);
    this.#recOut.textContent =
      r.kind === 'full-cache'
        ? `${formatBytes(maxBytes)} holds all ${context} tokens as ${r.kvDtype} (${formatBytes(r.bytes)}): keep the full cache, no eviction.`
        : r.kind === 'evict'
          ? `${formatBytes(maxBytes)} holds ${r.tokens} of ${context} tokens per layer as ${r.kvDtype} (${formatBytes(r.bytes)}): DynamicKV with budget ${(r.policy.budget as { budget: number }).budget}, recompressing every ${r.policy.recompressInterval} tokens (StreamingLLM for endless chat).`
          : `Too small: the smallest useful cache for this model needs ${formatBytes(r.minBytes)} (${r.minBytes} bytes).`;
  }
}
