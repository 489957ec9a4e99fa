// The layers x positions heatmap of a cache snapshot on a canvas, with the sharing map in its left
// gutter: which layer owns K/V and which layers read another layer's.
import type { CacheSnapshot } from '../protocol.js';

export interface HeatmapOptions {
  /** One row per KV head of each layer, instead of one per layer. */
  readonly perHead: boolean;
  /** Per-layer sliding windows (YOCO's self-decoder), for the labels. */
  readonly slidingWindow: readonly (number | null)[] | null;
  /** A position to mark (the needle's fact). */
  readonly mark?: { readonly from: number; readonly to: number };
}

const GUTTER = 118;
const ROW_H = 14;
/** One colour per group of layers sharing a cache. */
const GROUP_COLORS = ['#264653', '#2a9d8f', '#8ab17d', '#e9c46a', '#f4a261', '#e76f51', '#9b5de5', '#00bbf9'];

interface Row {
  readonly layer: number;
  readonly head: number | null;
}

function rowsOf(s: CacheSnapshot, perHead: boolean): Row[] {
  const nHeads = s.tokensHeld[0]?.length ?? 1;
  return s.kvSource.flatMap((_, layer): Row[] => (perHead ? Array.from({ length: nHeads }, (_, head) => ({ layer, head })) : [{ layer, head: null }]));
}

/** How many of the row's KV heads hold each position, and of how many. */
function counts(s: CacheSnapshot, row: Row): { count: Uint8Array; of: number } {
  const heads = s.held[s.kvSource[row.layer]!] ?? [];
  const count = new Uint8Array(s.position);
  const chosen = row.head === null ? heads : [heads[row.head] ?? []];
  for (const positions of chosen) for (const p of positions) if (p < count.length) count[p]!++;
  return { count, of: chosen.length };
}

export function heatmapHeight(s: CacheSnapshot, perHead: boolean): number {
  return rowsOf(s, perHead).length * ROW_H + 18;
}

export function drawHeatmap(canvas: HTMLCanvasElement, s: CacheSnapshot, o: HeatmapOptions): void {
  const rows = rowsOf(s, o.perHead);
  const width = Math.max(320, canvas.parentElement?.clientWidth ?? 640);
  const height = heatmapHeight(s, o.perHead);
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = '11px system-ui, sans-serif';
  g.textBaseline = 'middle';
  const n = Math.max(1, s.position);
  const cw = (width - GUTTER) / n;
  const sources = [...new Set(s.kvSource)];
  rows.forEach((row, r) => {
    const y = r * ROW_H;
    const src = s.kvSource[row.layer]!;
    const color = GROUP_COLORS[sources.indexOf(src) % GROUP_COLORS.length]!;
    // Sharing map: a bar in the owner's colour; readers say whose K/V they read.
    g.fillStyle = color;
    g.fillRect(GUTTER - 10, y + 1, 6, ROW_H - 2);
    if (row.head === null || row.head === 0) {
      const win = o.slidingWindow?.[row.layer];
      const text = `L${row.layer}${src !== row.layer ? ` ← L${src}` : ''}${win ? ` win ${win}` : ''}`;
      g.fillStyle = src !== row.layer ? '#777' : '#222';
      g.fillText(text, 4, y + ROW_H / 2);
    }
    if (row.head !== null) {
      g.fillStyle = '#999';
      g.fillText(`h${row.head}`, GUTTER - 34, y + ROW_H / 2);
    }
    const { count, of } = counts(s, row);
    for (let p = 0; p < s.position; p++) {
      const generated = p >= s.generatedFrom;
      const c = count[p]!;
      g.fillStyle = c === 0 ? (generated ? '#fbe3da' : '#ececec') : generated ? '#e76f51' : '#1f7a70';
      g.globalAlpha = c === 0 ? 1 : 0.35 + (0.65 * c) / Math.max(1, of);
      g.fillRect(GUTTER + p * cw, y + 1, Math.max(cw - (cw > 3 ? 0.5 : 0), 0.6), ROW_H - 2);
    }
    g.globalAlpha = 1;
  });
  if (o.mark) {
    g.strokeStyle = '#d00';
    g.lineWidth = 1.5;
    g.strokeRect(GUTTER + o.mark.from * cw, 0.5, Math.max(2, (o.mark.to - o.mark.from) * cw), rows.length * ROW_H);
  }
  // Axis: positions.
  g.fillStyle = '#555';
  const axisY = rows.length * ROW_H + 9;
  const step = Math.max(1, 10 ** Math.floor(Math.log10(Math.max(1, n / 4))));
  for (let p = 0; p < n; p += step * (n / step > 8 ? 2 : 1)) g.fillText(String(p), GUTTER + p * cw, axisY);
}

/** The layer, KV head and position under a point of the canvas, or null. */
export function heatmapHit(s: CacheSnapshot, perHead: boolean, canvas: HTMLCanvasElement, x: number, y: number): { layer: number; head: number | null; position: number; heads: number[] } | null {
  const rows = rowsOf(s, perHead);
  const width = canvas.clientWidth;
  const r = Math.floor(y / ROW_H);
  const row = rows[r];
  if (!row || x < GUTTER || s.position === 0) return null;
  const position = Math.floor(((x - GUTTER) / (width - GUTTER)) * s.position);
  const heads = (s.held[s.kvSource[row.layer]!] ?? []).flatMap((ps, h) => (ps.includes(position) ? [h] : []));
  return { layer: row.layer, head: row.head, position, heads };
}
