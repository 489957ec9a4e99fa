// The demo page: wires the panels to the inference worker. One request runs at a time (a stop
// request aside); the page only draws.
import { InferenceClient, WorkerRequestError } from './client.js';
import type { BackendName, CacheSettings, FromWorker, ModelSummary, SamplingSettings } from './protocol.js';
import { CacheView } from './ui/cache-view.js';
import { h } from './ui/dom.js';
import { GenerateView } from './ui/generate-view.js';
import type { ModelChoice } from './ui/model-panel.js';
import { ModelPanel, shippedChoice } from './ui/model-panel.js';
import type { NeedleParams } from './ui/needle-view.js';
import { NeedleView } from './ui/needle-view.js';
import { clearSavedModels, savedModels, saveModelFiles } from './ui/saved-files.js';
import { SettingsPanel } from './ui/settings-panel.js';
import './style.css';

const client = new InferenceClient();
const params = new URLSearchParams(location.search);
/** `?memoryLimit=<bytes>`: act as a device that holds at most this many bytes of weights. */
const memoryLimit = ((v: number) => (Number.isSafeInteger(v) && v > 0 ? v : undefined))(Number(params.get('memoryLimit') ?? NaN));

let model: ModelSummary | null = null;
let busy: 'load' | 'generate' | 'needle' | null = null;
let generationId = 0;
let loadId = 0;
let needleId = 0;

const status = h('span', { testid: 'status', class: 'status' }, 'starting');
const errorText = h('span', { testid: 'error' });
const errorBox = h('div', { class: 'error-box', hidden: true, role: 'alert' }, errorText, h('button', { class: 'link', onclick: () => (errorBox.hidden = true) }, 'dismiss'));

function showError(e: unknown): void {
  const err = e instanceof WorkerRequestError ? `${e.errorName} (${e.code}): ${e.message}` : e instanceof Error ? `${e.name}${'code' in e ? ` (${String(e.code)})` : ''}: ${e.message}` : String(e);
  errorText.textContent = err;
  errorBox.hidden = false;
}

function setBusy(b: typeof busy): void {
  busy = b;
  status.textContent = b === 'load' ? 'loading model' : b === 'generate' ? 'generating' : b === 'needle' ? 'running needle' : model ? 'ready' : 'no model';
  status.className = `status ${b ?? (model ? 'ready' : 'idle')}`;
  modelPanel.setBusy(b !== null, b === 'load');
  generateView.setRunning(b === 'generate');
  generateView.generateButton.disabled = b !== null || !model;
  needleView.runButton.disabled = b !== null || !model;
  needleView.stopButton.disabled = b !== 'needle';
}

async function load(choice: ModelChoice): Promise<void> {
  if (busy) return;
  setBusy('load');
  const value = modelPanel.select.value;
  try {
    const req = client.request(
      { type: 'load', source: choice.source, label: choice.label, backend: modelPanel.backend.value as BackendName, ...(memoryLimit !== undefined ? { memoryLimit } : {}) },
      (m) => m.type === 'progress' && modelPanel.progress(m.file, m.loaded, m.total),
    );
    loadId = req.id;
    const r = await req.done;
    if (r.type !== 'loaded') return;
    model = r.model;
    // Opened files are kept for the next visit; a browser without OPFS simply does not list them again.
    if (choice.source.kind === 'files') void saveModelFiles(choice.label, choice.source.files).catch(() => {});
    modelPanel.loaded(model, value);
    cacheView.setModel(model.nLayers, model.slidingWindow);
    generateView.setChatTemplate(model.hasChatTemplate);
    needleView.setModel(model);
    errorBox.hidden = true;
  } catch (e) {
    showError(e);
    modelPanel.loaded(null, value);
  } finally {
    setBusy(null);
  }
}

async function generate(): Promise<void> {
  if (busy || !model) return;
  let cache: CacheSettings;
  let sampling: SamplingSettings;
  try {
    cache = settingsPanel.cache();
    sampling = settingsPanel.sampling();
  } catch (e) {
    showError(e);
    return;
  }
  errorBox.hidden = true;
  setBusy('generate');
  generateView.start();
  let ttft = 0;
  const onMessage = (m: FromWorker) => {
    if (m.type === 'chunk') {
      if (m.generated === m.tokens.length) ttft = m.elapsedMs;
      generateView.chunk(m.text, m.generated, m.elapsedMs, ttft);
    } else if (m.type === 'stats') {
      cacheView.update(m.snapshot);
      generateView.cacheBytes(m.snapshot.bytesUsed);
    } else if (m.type === 'done') generateView.finish(m.result);
  };
  const req = client.request({ type: 'generate', input: generateView.input(), cache, sampling }, onMessage);
  generationId = req.id;
  try {
    await req.done;
  } catch (e) {
    showError(e);
  } finally {
    cacheView.flush();
    setBusy(null);
  }
}

async function runNeedle(): Promise<void> {
  if (busy || !model) return;
  let p: NeedleParams;
  try {
    p = needleView.params();
  } catch (e) {
    showError(e);
    return;
  }
  errorBox.hidden = true;
  setBusy('needle');
  needleView.start(p.runs.length);
  let i = 0;
  try {
    const req = client.request({ type: 'needle', ...p }, (m) => {
      if (m.type === 'needle-prompt') needleView.promptInfo(m.code, m.tokens, { from: m.factAt, to: m.factEnd }, m.question);
      else if (m.type === 'needle-run') needleView.result(i++, m.run);
    });
    needleId = req.id;
    await req.done;
  } catch (e) {
    showError(e);
  } finally {
    needleView.finish();
    setBusy(null);
  }
}

const modelPanel = new ModelPanel(
  (c) => void load(c),
  () => client.abort(loadId),
  () => void clearSavedModels().then(() => modelPanel.forgetFiles()),
);
const settingsPanel = new SettingsPanel();
const generateView = new GenerateView({ generate: () => void generate(), stop: () => client.abort(generationId), newChat: () => {} });
const cacheView = new CacheView({ testPrefix: '' });
const needleView = new NeedleView(
  () => void runNeedle(),
  () => client.abort(needleId),
);

const tabs = { generate: h('div', { class: 'tab-body' }, generateView.element, h('section', { class: 'panel' }, h('h2', {}, 'What the cache keeps'), cacheView.element)), needle: needleView.element };
needleView.element.hidden = true;
const tabButton = (name: keyof typeof tabs, text: string) =>
  h('button', { testid: `tab-${name}`, class: `tab${name === 'generate' ? ' active' : ''}`, onclick: (e: Event) => {
    for (const [k, el] of Object.entries(tabs)) el.hidden = k !== name;
    for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b === e.currentTarget);
  } }, text);

document.body.append(
  h('header', {}, h('h1', {}, 'kvkit'), h('span', { class: 'tagline' }, 'a language model in your browser, and a live view of what its KV cache keeps'), status),
  errorBox,
  h(
    'main',
    {},
    h('aside', {}, modelPanel.element, settingsPanel.element),
    h('div', { class: 'content' }, h('nav', {}, tabButton('generate', 'Generate & cache view'), tabButton('needle', 'Needle playground')), tabs.generate, tabs.needle),
  ),
);
setBusy(null);
void load(shippedChoice('gqa'));
void savedModels().then((list) => list.forEach((m) => modelPanel.addSaved(m.label, m.files)), () => {});
