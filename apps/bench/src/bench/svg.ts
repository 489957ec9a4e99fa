// Small, dependency-free SVG charts for the bench reports: line charts (linear or log axes) and grouped bars.

export interface Series {
  readonly name: string;
  /** [x, y] points; non-finite y values are skipped (a gap in the line). */
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Extend the y range to include these values (e.g. 0, or 1 for a ratio). */
  readonly yInclude?: readonly number[];
  /** Horizontal reference lines. */
  readonly hLines?: readonly { readonly y: number; readonly label: string }[];
  readonly width?: number;
  readonly height?: number;
}

export interface BarChartSpec {
  readonly title: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  readonly series: readonly { readonly name: string; readonly values: readonly number[] }[];
  readonly yLog?: boolean;
  readonly hLines?: readonly { readonly y: number; readonly label: string }[];
  readonly width?: number;
  readonly height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Compact tick label: 1.5k, 32k, 2M, 0.001, 1e-6. */
export function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e12) return `${+(v / 1e12).toPrecision(3)}T`;
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1e-3) return `${+v.toPrecision(3)}`;
  return v.toExponential(0);
}

/** "Nice" linear ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  if (ticks[ticks.length - 1]! < hi) ticks.push(+(ticks[ticks.length - 1]! + step).toPrecision(12));
  return ticks;
}

/** Powers of ten (or of two for x axes of token counts) covering [lo, hi], lo > 0. */
function logTicks(lo: number, hi: number, base: number): number[] {
  const b = Math.log(base);
  const a = Math.floor(Math.log(lo) / b + 1e-9);
  const z = Math.ceil(Math.log(hi) / b - 1e-9);
  const out: number[] = [];
  const stride = Math.max(1, Math.ceil((z - a) / 8));
  for (let e = a; e <= z; e += stride) out.push(base ** e);
  if (out.length < 2) out.push(base ** (a + 1));
  return out;
}

interface Axis {
  readonly ticks: number[];
  readonly map: (v: number) => number;
}

function axis(values: number[], log: boolean, from: number, to: number, base = 10): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = finite.length ? Math.min(...finite) : log ? 1 : 0;
  let hi = finite.length ? Math.max(...finite) : log ? 10 : 1;
  if (log) {
    const ticks = logTicks(lo, hi, base);
    lo = ticks[0]!;
    hi = ticks[ticks.length - 1]!;
    const l0 = Math.log(lo);
    const span = Math.log(hi) - l0 || 1;
    return { ticks, map: (v) => from + ((Math.log(Math.max(v, lo)) - l0) / span) * (to - from) };
  }
  const ticks = niceTicks(lo, hi);
  lo = ticks[0]!;
  hi = ticks[ticks.length - 1]!;
  const span = hi - lo || 1;
  return { ticks, map: (v) => from + ((v - lo) / span) * (to - from) };
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

const f1 = (v: number) => v.toFixed(1);

/** Legend at the right of the plot area. */
function legend(names: readonly { name: string; color: string; dashed?: boolean }[], x: number, y: number, marker: 'line' | 'box'): string[] {
  return names.flatMap((s, i) => {
    const yy = y + i * 18;
    const mark =
      marker === 'line'
        ? `<line x1="${x}" y1="${yy}" x2="${x + 22}" y2="${yy}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`
        : `<rect x="${x + 4}" y="${yy - 6}" width="14" height="12" fill="${s.color}"/>`;
    return [mark, `<text x="${x + 28}" y="${yy + 4}">${escapeXml(s.name)}</text>`];
  });
}

export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 420;
  const longest = Math.max(0, ...spec.series.map((s) => s.name.length));
  const legendW = Math.min(220, 40 + longest * 7);
  const left = 70;
  const right = width - legendW - 10;
  const top = 36;
  const bottom = height - 50;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...spec.series.flatMap((s) => s.points.map((p) => p[1])), ...(spec.yInclude ?? []), ...(spec.hLines ?? []).map((h) => h.y)];
  const xLog = spec.xLog ?? false;
  const X = axis(xs, xLog, left, right, 2);
  const Y = axis(ys, spec.yLog ?? false, bottom, top);
  const body: string[] = [];
  for (const t of Y.ticks) {
    const y = f1(Y.map(t));
    body.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${left - 6}" y="${+y + 4}" text-anchor="end">${fmtTick(t)}</text>`);
  }
  const xTicks = xLog ? [...new Set(xs)].sort((a, b) => a - b) : X.ticks;
  for (const t of xTicks.length <= 12 ? xTicks : X.ticks) {
    const x = f1(X.map(t));
    body.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="#f0f0f0"/>`);
    body.push(`<text x="${x}" y="${bottom + 16}" text-anchor="middle">${fmtTick(t)}</text>`);
  }
  body.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#888"/>`);
  body.push(`<text x="${(left + right) / 2}" y="${height - 12}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  body.push(`<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  for (const h of spec.hLines ?? []) {
    const y = f1(Y.map(h.y));
    body.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#444" stroke-dasharray="2,3"/>`);
    body.push(`<text x="${right - 4}" y="${+y - 4}" text-anchor="end" fill="#444">${escapeXml(h.label)}</text>`);
  }
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p[1]) && (!spec.yLog || p[1] > 0));
    if (pts.length > 1) {
      const d = pts.map((p, j) => `${j ? 'L' : 'M'}${f1(X.map(p[0]))},${f1(Y.map(p[1]))}`).join(' ');
      body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>`);
    }
    for (const p of pts) body.push(`<circle cx="${f1(X.map(p[0]))}" cy="${f1(Y.map(p[1]))}" r="3" fill="${color}"><title>${escapeXml(`${s.name}: ${p[0]}, ${fmtTick(p[1])}`)}</title></circle>`);
  });
  body.push(...legend(spec.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]!, ...(s.dashed ? { dashed: true } : {}) })), right + 12, top + 10, 'line'));
  return frame(width, height, spec.title, body);
}

export function barChart(spec: BarChartSpec): string {
  const width = spec.width ?? 760;
  const height = spec.height ?? 420;
  const longest = Math.max(0, ...spec.series.map((s) => s.name.length));
  const legendW = Math.min(220, 40 + longest * 7);
  const left = 70;
  const right = width - legendW - 10;
  const top = 36;
  const bottom = height - 70;
  const values = spec.series.flatMap((s) => s.values);
  const yLog = spec.yLog ?? false;
  const Y = axis([...values, ...(yLog ? [] : [0]), ...(spec.hLines ?? []).map((h) => h.y)], yLog, bottom, top);
  const body: string[] = [];
  for (const t of Y.ticks) {
    const y = f1(Y.map(t));
    body.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${left - 6}" y="${+y + 4}" text-anchor="end">${fmtTick(t)}</text>`);
  }
  const nCat = Math.max(1, spec.categories.length);
  const groupW = (right - left) / nCat;
  const barW = (groupW * 0.8) / Math.max(1, spec.series.length);
  const base = yLog ? bottom : Y.map(0);
  spec.categories.forEach((c, ci) => {
    const gx = left + ci * groupW + groupW * 0.1;
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === undefined || !Number.isFinite(v) || (yLog && v <= 0)) return;
      const y = Y.map(v);
      const x = gx + si * barW;
      body.push(
        `<rect x="${f1(x)}" y="${f1(Math.min(y, base))}" width="${f1(Math.max(1, barW - 1))}" height="${f1(Math.abs(base - y))}" fill="${PALETTE[si % PALETTE.length]!}"><title>${escapeXml(`${s.name} / ${c}: ${fmtTick(v)}`)}</title></rect>`,
      );
    });
    const cx = f1(left + ci * groupW + groupW / 2);
    body.push(`<text x="${cx}" y="${bottom + 16}" text-anchor="middle">${escapeXml(c)}</text>`);
  });
  body.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#888"/>`);
  body.push(`<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
  for (const h of spec.hLines ?? []) {
    const y = f1(Y.map(h.y));
    body.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#444" stroke-dasharray="2,3"/>`);
    body.push(`<text x="${right - 4}" y="${+y - 4}" text-anchor="end" fill="#444">${escapeXml(h.label)}</text>`);
  }
  body.push(...legend(spec.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]! })), right + 12, top + 10, 'box'));
  return frame(width, height, spec.title, body);
}
