// Settings for the next generation: policy and its parameters (defaults shown), budget (tokens,
// ratio or bytes), KV storage format, and sampling.
import type { KvDtype, PolicyKind } from '@kvkit/cache';
import type { CacheSettings, SamplingSettings } from '../protocol.js';
import type { BudgetMode } from '../settings.js';
import { cacheSettings, KV_DTYPE_LIST, POLICIES, SettingsError } from '../settings.js';
import { h, labelled, option } from './dom.js';

/**
 * What a first visit runs: StreamingLLM keeping 48 tokens per layer over 96 generated tokens, so the
 * first generation already shows eviction (the middle of the text drops out of the cache).
 */
const DEFAULT_POLICY = 'streaming';

export class SettingsPanel {
  readonly element: HTMLElement;
  readonly policy: HTMLSelectElement;
  readonly budget: HTMLInputElement;
  readonly budgetMode: HTMLSelectElement;
  readonly kvDtype: HTMLSelectElement;
  readonly #params: HTMLElement;
  readonly #paramInputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  readonly #maxTokens: HTMLInputElement;
  readonly #temperature: HTMLInputElement;
  readonly #seed: HTMLInputElement;
  readonly #note: HTMLElement;

  constructor() {
    this.policy = h('select', { testid: 'policy', onchange: () => this.#renderParams() }, ...POLICIES.map((p) => option(p.kind, p.title, p.kind === DEFAULT_POLICY)));
    this.budget = h('input', { testid: 'budget', value: '48', inputmode: 'numeric', size: 8 });
    this.budgetMode = h('select', { testid: 'budget-mode' }, option('tokens', 'tokens per layer', true), option('ratio', 'ratio of the prompt'), option('bytes', 'bytes of the whole cache'));
    this.kvDtype = h('select', { testid: 'kv-dtype' }, ...KV_DTYPE_LIST.map((d) => option(d, d, d === 'f32')));
    this.#params = h('div', { class: 'params' });
    this.#maxTokens = h('input', { testid: 'max-tokens', value: '96', size: 6 });
    this.#temperature = h('input', { testid: 'temperature', value: '0', size: 6 });
    this.#seed = h('input', { testid: 'seed', value: '1', size: 6 });
    this.#note = h('small', { class: 'muted' }, 'Changes take effect on the next generation.');
    this.element = h(
      'section',
      { class: 'panel settings-panel' },
      h('h2', {}, 'Cache settings'),
      labelled('policy', this.policy),
      this.#params,
      h('div', { class: 'budget-row' }, labelled('budget', this.budget), labelled('as', this.budgetMode)),
      labelled('KV dtype', this.kvDtype, 'f32 f16 bf16 int8; kivi4/kivi2 quantise keys per channel'),
      h('h3', {}, 'Sampling'),
      h('div', { class: 'sampling-row' }, labelled('max tokens', this.#maxTokens), labelled('temperature', this.#temperature, '0 = greedy'), labelled('seed', this.#seed)),
      this.#note,
    );
    this.#renderParams();
  }

  #renderParams(): void {
    const spec = POLICIES.find((p) => p.kind === this.policy.value)!;
    this.#paramInputs.clear();
    const fields = spec.params.map((p) => {
      const control =
        typeof p.kind === 'object'
          ? h('select', {}, ...p.kind.choices.map((c) => option(c, c, c === p.default)))
          : p.kind === 'bool'
            ? h('select', {}, option('false', 'false', p.default === false), option('true', 'true', p.default === true))
            : h('input', { value: p.default === undefined ? '' : String(p.default), placeholder: p.default === undefined ? 'auto' : String(p.default), size: 5 });
      control.dataset.testid = `param-${p.name}`;
      this.#paramInputs.set(p.name, control);
      return labelled(p.name, control, `${p.default === undefined ? 'optional' : `default ${String(p.default)}`}${p.hint ? ` · ${p.hint}` : ''}`);
    });
    this.#params.replaceChildren(...fields);
    const full = spec.kind === 'full';
    this.budget.disabled = full;
    this.budgetMode.disabled = full;
  }

  /** The cache settings as typed, or a SettingsError naming the field to change. */
  cache(): CacheSettings {
    const params = Object.fromEntries([...this.#paramInputs].map(([k, el]) => [k, el.value]));
    return cacheSettings(this.policy.value as PolicyKind, params, this.budgetMode.value as BudgetMode, this.budget.value, this.kvDtype.value as KvDtype);
  }

  sampling(): SamplingSettings {
    const int = (name: string, el: HTMLInputElement, least: number) => {
      const v = Number(el.value.trim());
      if (!(Number.isSafeInteger(v) && v >= least) || el.value.trim() === '') throw new SettingsError(`${name} must be a whole number ≥ ${least}, got '${el.value}'`);
      return v;
    };
    const temperature = Number(this.#temperature.value.trim());
    if (!(Number.isFinite(temperature) && temperature >= 0) || this.#temperature.value.trim() === '') throw new SettingsError(`temperature must be a number ≥ 0, got '${this.#temperature.value}'`);
    return { maxTokens: int('max tokens', this.#maxTokens, 1), temperature, seed: int('seed', this.#seed, 1) };
  }
}
