// Choosing a model: the shipped ones, files from disk (picker, folder, drag-and-drop) or a URL, with
// a progress bar; and the backend.
import { SHIPPED_MODELS } from '@kvkit/models';
import type { BackendName, ModelSourceMessage, ModelSummary } from '../protocol.js';
import { formatBytes, h, labelled, option } from './dom.js';
import { droppedFiles } from './dropped-files.js';

export interface ModelChoice {
  readonly source: ModelSourceMessage;
  readonly label: string;
}

export function shippedChoice(name: string): ModelChoice {
  const m = SHIPPED_MODELS[name as keyof typeof SHIPPED_MODELS];
  const files = Object.fromEntries(Object.entries(m.files).map(([k, url]) => [k, (url as URL).href]));
  return { source: { kind: 'shipped', name, files }, label: name };
}

export class ModelPanel {
  readonly element: HTMLElement;
  readonly select: HTMLSelectElement;
  readonly backend: HTMLSelectElement;
  readonly #progress: HTMLProgressElement;
  readonly #progressText: HTMLElement;
  readonly #info: HTMLElement;
  readonly #url: HTMLInputElement;
  readonly #custom = new Map<string, ModelChoice>();
  /** Labels of models that loaded at least once (here, or in an earlier visit). */
  readonly #loaded = new Set<string>();
  /** The model and backend selected for what is loaded now (restored when a load fails). */
  #current = { model: '', backend: 'auto' };

  readonly #cancel: HTMLButtonElement;

  constructor(
    private readonly onChoose: (c: ModelChoice) => void,
    onCancel: () => void,
    onForget: () => void,
  ) {
    const forget = h('button', { class: 'link', testid: 'forget-files', title: 'Opened files are kept in this browser (OPFS) so they are listed after a reload', onclick: onForget }, 'forget opened files');
    this.#cancel = h('button', { testid: 'cancel-load', onclick: onCancel, disabled: true }, 'Cancel');
    this.select = h(
      'select',
      { testid: 'model', onchange: () => this.#chooseSelected() },
      ...Object.values(SHIPPED_MODELS).map((m) => option(m.name, `${m.name} — ${m.kvSharing}`, m.name === 'gqa')),
    );
    this.backend = h(
      'select',
      { testid: 'backend', onchange: () => this.#chooseSelected() },
      option('auto', 'auto (WebGPU on a real GPU, else WASM threads)', true),
      option('wasm', 'WASM (SIMD, threads when isolated)'),
      option('webgpu', 'WebGPU'),
      option('cpu', 'CPU reference (slow, exact)'),
    );
    const file = h('input', { type: 'file', multiple: true, accept: '.gguf,.bin,.safetensors,.json', testid: 'model-file', onchange: (e: Event) => this.#files((e.target as HTMLInputElement).files) });
    const folder = h('input', { type: 'file', testid: 'model-folder', onchange: (e: Event) => this.#files((e.target as HTMLInputElement).files) });
    folder.setAttribute('webkitdirectory', '');
    this.#url = h('input', { type: 'url', placeholder: 'https://…/model.gguf or an HF folder URL ending in /', testid: 'model-url' });
    const loadUrl = h('button', { testid: 'load-url', onclick: () => this.#loadUrl() }, 'Load URL');
    this.#progress = h('progress', { max: 1, value: 0, testid: 'progress' });
    this.#progressText = h('small', { class: 'muted' }, '');
    this.#info = h('div', { class: 'backend-info', testid: 'backend-info' }, 'starting…');
    const drop = h('div', { class: 'drop', testid: 'drop-zone' }, 'Drop a .gguf, a llama2.c .bin + tok512.bin, or an HF folder here', h('div', { class: 'drop-inputs' }, labelled('files', file), labelled('folder', folder)));
    drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      if (e.dataTransfer) void droppedFiles(e.dataTransfer).then((files) => this.#files(files));
    });
    this.element = h(
      'section',
      { class: 'panel model-panel' },
      h('h2', {}, 'Model'),
      labelled('model', this.select, 'shipped with @kvkit/models; files you open are added and kept for the next visit'),
      forget,
      labelled('backend', this.backend),
      this.#info,
      drop,
      h('div', { class: 'url-row' }, this.#url, loadUrl),
      h('div', { class: 'progress-row' }, h('div', { class: 'row' }, this.#progress, this.#cancel), this.#progressText),
    );
  }

  #chooseSelected(): void {
    const v = this.select.value;
    this.onChoose(this.#custom.get(v) ?? shippedChoice(v));
  }

  #files(list: FileList | readonly File[] | null): void {
    const files = [...(list ?? [])];
    if (files.length === 0) return;
    const folder = (files[0]!.webkitRelativePath || files[0]!.name).split('/');
    const name = files.length === 1 ? files[0]!.name : folder.length > 1 ? `${folder[0]}/` : `${files.length} files`;
    this.#addCustom({ source: { kind: 'files', files }, label: `file: ${name}` });
  }

  #loadUrl(): void {
    const text = this.#url.value.trim();
    if (!text) return;
    // Resolved here: the worker's own URL is not the page's.
    const url = new URL(text, location.href).href;
    this.#addCustom({ source: { kind: 'url', url }, label: `url: ${text}` });
  }

  #addCustom(c: ModelChoice): void {
    this.#listCustom(c);
    this.select.value = c.label;
    this.onChoose(c);
  }

  #listCustom(c: ModelChoice): void {
    this.#custom.set(c.label, c);
    if (![...this.select.options].some((o) => o.value === c.label)) this.select.append(option(c.label, c.label));
  }

  /** Models opened in an earlier visit (kept in OPFS): listed, loaded when chosen. */
  addSaved(label: string, files: readonly File[]): void {
    this.#loaded.add(label);
    this.#listCustom({ source: { kind: 'files', files }, label });
  }

  /** Drops the opened files from the list, except the one loaded now. */
  forgetFiles(): void {
    for (const [label, c] of [...this.#custom]) {
      if (c.source.kind !== 'files' || label === this.#current.model) continue;
      this.#custom.delete(label);
      [...this.select.options].find((o) => o.value === label)?.remove();
    }
  }

  progress(file: string, loaded: number, total: number | null): void {
    this.#progress.max = total ?? Math.max(loaded, 1);
    this.#progress.value = loaded;
    this.#progressText.textContent = `${file.split('/').pop()}: ${formatBytes(loaded)}${total ? ` of ${formatBytes(total)}` : ''}`;
  }

  /** After a load: what runs where, or (failed) back to the model that still runs. */
  loaded(m: ModelSummary | null, selectValue?: string): void {
    if (m) {
      this.#current = { model: selectValue ?? this.select.value, backend: this.backend.value };
      this.#loaded.add(this.#current.model);
      const b = m.backend;
      this.#info.textContent =
        `${m.label} (${m.format}, ${m.nLayers} layers, ${m.nHeads} heads / ${m.nKvHeads} KV heads) on ${b.kind}` +
        `${b.adapter ? ` — adapter ${b.adapter}` : ''} · ${b.threads} thread${b.threads === 1 ? '' : 's'}` +
        `${m.crossOriginIsolated ? '' : ' · page not cross-origin isolated'}${b.reason ? ` · ${b.reason}` : ''}`;
    } else {
      // A file or URL that failed to load leaves the list, unless it loaded before (a kept model).
      const failed = selectValue ?? this.select.value;
      if (this.#custom.has(failed) && !this.#loaded.has(failed)) {
        this.#custom.delete(failed);
        [...this.select.options].find((o) => o.value === failed)?.remove();
      }
    }
    if (!m && this.#current.model) {
      this.#progress.value = 0;
      this.#progressText.textContent = 'load failed: the model above is still loaded';
      this.select.value = this.#current.model;
      this.backend.value = this.#current.backend;
    }
  }

  /** While anything runs the model cannot change; a load in progress can be cancelled. */
  setBusy(busy: boolean, loading: boolean): void {
    for (const el of this.element.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('input, select, button')) el.disabled = busy;
    this.#cancel.disabled = !loading;
  }
}
