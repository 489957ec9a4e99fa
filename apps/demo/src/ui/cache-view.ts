// The live cache view: a memory gauge, the heatmap with its sharing map, and the text with the kept
// tokens highlighted (for one layer, or kept by any layer).
import type { CacheSnapshot } from '../protocol.js';
import { formatBytes, h, labelled, option } from './dom.js';
import { drawHeatmap, heatmapHit } from './heatmap.js';

export interface CacheViewOptions {
  /** data-testid prefix: '' for the main view (so its hooks are `cache-bytes`, `heatmap`), else e.g. 'needle-0-'. */
  readonly testPrefix: string;
  readonly compact?: boolean;
}

/** Positions held by a layer (any of its KV heads), or by any layer. */
function keptSet(s: CacheSnapshot, layer: number | 'any'): Set<number> {
  const kept = new Set<number>();
  const layers = layer === 'any' ? s.kvSource.map((_, l) => l) : [layer];
  for (const l of layers) for (const ps of s.held[s.kvSource[l]!] ?? []) for (const p of ps) kept.add(p);
  return kept;
}

const HINT = 'Hover the map: layer, head and token at a position.';
const EMPTY = 'Nothing cached yet: press Generate, and this view fills live with what each layer keeps.';

export class CacheView {
  readonly element: HTMLElement;
  readonly #o: CacheViewOptions;
  readonly #bytes: HTMLElement;
  readonly #full: HTMLElement;
  readonly #gaugeText: HTMLElement;
  readonly #gauge: { held: HTMLElement; full: HTMLElement; budget: HTMLElement };
  readonly #canvas: HTMLCanvasElement;
  readonly #tip: HTMLElement;
  readonly #text: HTMLElement;
  readonly #layer: HTMLSelectElement;
  readonly #perHead: HTMLInputElement;
  readonly #summary: HTMLElement;
  #snapshot: CacheSnapshot | null = null;
  #pending: CacheSnapshot | null = null;
  #frame: number | null = null;
  #slidingWindow: readonly (number | null)[] | null = null;
  #mark: { from: number; to: number } | undefined;

  constructor(o: CacheViewOptions) {
    this.#o = o;
    const t = (id: string) => `${o.testPrefix}${id}`;
    this.#bytes = h('span', { testid: t('cache-bytes'), class: 'mono' }, '0');
    this.#full = h('span', { testid: t('full-bytes'), class: 'mono' }, '0');
    this.#gaugeText = h('span', { class: 'gauge-text' }, EMPTY);
    this.#gauge = { held: h('div', { class: 'gauge-held' }), full: h('div', { class: 'gauge-full' }), budget: h('div', { class: 'gauge-budget' }) };
    this.#canvas = h('canvas', { testid: t('heatmap'), class: 'heatmap' });
    this.#tip = h('div', { class: 'heatmap-tip' }, o.compact ? '' : HINT);
    this.#text = h('div', { class: 'kept-text', testid: t('kept-text') });
    this.#layer = h('select', { onchange: () => this.#renderText() }, option('any', 'kept by any layer'));
    this.#perHead = h('input', { type: 'checkbox', onchange: () => this.#draw() });
    this.#summary = h('div', { class: 'cache-summary' });
    this.#canvas.addEventListener('mousemove', (e) => this.#hover(e));
    this.element = h(
      'section',
      { class: `cache-view${o.compact ? ' compact' : ''}` },
      h(
        'div',
        { class: 'gauge-row' },
        h('span', {}, 'cache bytes: ', this.#bytes),
        h('span', { class: 'muted' }, ' full cache for the same tokens: ', this.#full),
      ),
      h('div', { class: 'gauge', title: 'held (filled) vs a full cache of the same tokens (outline) vs the budget (red line)' }, this.#gauge.full, this.#gauge.held, this.#gauge.budget),
      this.#gaugeText,
      o.compact ? null : h('div', { class: 'heatmap-controls' }, h('label', {}, this.#perHead, ' one row per KV head'), h('span', { class: 'legend' }, h('i', { class: 'sw kept' }), 'prompt kept ', h('i', { class: 'sw gen' }), 'generated kept ', h('i', { class: 'sw gone' }), 'evicted')),
      h('div', { class: 'heatmap-wrap' }, this.#canvas),
      this.#tip,
      this.#summary,
      o.compact ? null : labelled('highlight tokens kept by', this.#layer),
      this.#text,
    );
  }

  /** A new model: the layer list and the sliding windows change. */
  setModel(nLayers: number, slidingWindow: readonly (number | null)[] | null): void {
    this.#slidingWindow = slidingWindow;
    this.#layer.replaceChildren(option('any', 'kept by any layer'), ...Array.from({ length: nLayers }, (_, l) => option(String(l), `layer ${l}`)));
    this.#tip.textContent = this.#o.compact ? '' : HINT;
    this.clear();
  }

  setMark(mark: { from: number; to: number } | undefined): void {
    this.#mark = mark;
  }

  clear(): void {
    this.#snapshot = null;
    this.#pending = null;
    this.#bytes.textContent = '0';
    this.#full.textContent = '0';
    this.#gaugeText.textContent = this.#o.compact ? '' : EMPTY;
    this.#text.replaceChildren();
    this.#summary.textContent = '';
    const g = this.#canvas.getContext('2d');
    g?.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
  }

  /**
   * Shows a snapshot. Snapshots arrive faster than a loaded machine may draw them: only the newest is
   * drawn, once per animation frame, so the page keeps time for typing and clicks.
   */
  update(s: CacheSnapshot): void {
    this.#numbers(s);
    this.#pending = s;
    this.#frame ??= requestAnimationFrame(() => {
      this.#frame = null;
      this.flush();
    });
  }

  /** Draws the newest snapshot now (at the end of a generation, so the page shows its final state). */
  flush(): void {
    const s = this.#pending;
    this.#pending = null;
    if (!s) return;
    // A new sequence: what the hover line said is about tokens that are gone.
    if (this.#snapshot && s.position < this.#snapshot.position) this.#tip.textContent = this.#o.compact ? '' : HINT;
    this.#snapshot = s;
    const held = s.tokensHeld.map((hs) => hs.join('/')).join(' ');
    this.#summary.textContent = `tokens held per layer (per KV head): ${held}${s.compressions ? ` · ${s.compressions} compression${s.compressions === 1 ? '' : 's'}` : ''}`;
    this.#draw();
    this.#renderText();
  }

  /** The byte counts and the gauge: cheap, so always current. */
  #numbers(s: CacheSnapshot): void {
    this.#bytes.textContent = String(s.bytesUsed);
    this.#bytes.title = formatBytes(s.bytesUsed);
    this.#full.textContent = String(s.fullBytes);
    this.#full.title = formatBytes(s.fullBytes);
    const max = Math.max(1, s.fullBytes, s.budgetBytes ?? 0, s.bytesUsed);
    this.#gauge.held.style.width = `${(100 * s.bytesUsed) / max}%`;
    this.#gauge.full.style.width = `${(100 * s.fullBytes) / max}%`;
    this.#gauge.budget.style.left = `${(100 * (s.budgetBytes ?? 0)) / max}%`;
    this.#gauge.budget.hidden = s.budgetBytes === null;
    const saved = s.fullBytes > 0 ? Math.round(100 * (1 - s.bytesUsed / s.fullBytes)) : 0;
    this.#gaugeText.textContent =
      `${formatBytes(s.bytesUsed)} held of ${formatBytes(s.fullBytes)} for all ${s.position} tokens (${saved}% saved)` +
      (s.budgetBytes !== null ? ` · budget ${s.budgetTokens} tokens/layer = ${formatBytes(s.budgetBytes)}` : '') +
      ` · ${s.policy}`;
  }

  #draw(): void {
    if (!this.#snapshot) return;
    drawHeatmap(this.#canvas, this.#snapshot, { perHead: this.#perHead.checked, slidingWindow: this.#slidingWindow, ...(this.#mark ? { mark: this.#mark } : {}) });
  }

  #renderText(): void {
    const s = this.#snapshot;
    if (!s) return;
    const sel = this.#layer.value === 'any' ? 'any' : Number(this.#layer.value);
    const kept = keptSet(s, sel);
    const mark = this.#mark;
    const marked = (i: number) => !!mark && i >= mark.from && i < mark.to;
    // Spans of the same sequence are kept and only re-classed; new tokens append. A long generation
    // then costs the page a class change per token rather than rebuilding the whole text.
    let spans = [...this.#text.children] as HTMLElement[];
    if (spans.length > s.pieces.length || spans.some((el, i) => el.dataset.piece !== s.pieces[i])) {
      this.#text.replaceChildren();
      spans = [];
    }
    const added: HTMLElement[] = [];
    for (let i = spans.length; i < s.pieces.length; i++) {
      const el = h('span', {}, s.pieces[i]!);
      el.dataset.piece = s.pieces[i]!;
      added.push(el);
    }
    this.#text.append(...added);
    spans.push(...added);
    spans.forEach((el, i) => {
      const cls = `${kept.has(i) ? 'kept' : 'gone'}${i >= s.generatedFrom ? ' gen' : ''}${marked(i) ? ' fact' : ''}`;
      if (el.className !== cls) {
        el.className = cls;
        el.title = `position ${i}${kept.has(i) ? ', kept' : ', evicted'}`;
      }
    });
    // Scroll the marked tokens (the needle's fact) into the box.
    const first = mark ? spans[mark.from] : undefined;
    if (first) this.#text.scrollTop = Math.max(0, first.offsetTop - 24);
  }

  #hover(e: MouseEvent): void {
    const s = this.#snapshot;
    if (!s) return;
    const r = this.#canvas.getBoundingClientRect();
    const hit = heatmapHit(s, this.#perHead.checked, this.#canvas, e.clientX - r.left, e.clientY - r.top);
    if (!hit) return;
    const src = s.kvSource[hit.layer]!;
    this.#tip.textContent =
      `layer ${hit.layer}${src !== hit.layer ? ` (reads layer ${src}'s K/V)` : ''}${hit.head !== null ? ` head ${hit.head}` : ''} · position ${hit.position} ` +
      `${JSON.stringify(s.pieces[hit.position] ?? '')} · held by KV heads [${hit.heads.join(', ')}] of ${s.tokensHeld[0]?.length ?? 0}`;
  }
}
