// What every suite produces (tables, plots, checks, data) and how it is written: JSON, markdown, SVG files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { KvkitError } from '@kvkit/tensor';

export type Cell = string | number | boolean | null | undefined;

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** A line printed under the table (units, what was measured). */
  readonly note?: string;
  /** Long detail tables: in the markdown report, not on the terminal. */
  readonly reportOnly?: boolean;
}

/** An invariant the suite checked: a failed one makes the command exit non-zero. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** A check that could not run here (e.g. llama.cpp did not load): reported, never a failure. */
  readonly skipped?: boolean;
}

export interface Plot {
  /** File name inside the suite's folder (`*.svg`). */
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

export interface SuiteReport {
  readonly suite: string;
  readonly quick: boolean;
  readonly env: BenchEnv;
  readonly params: Record<string, unknown>;
  readonly durationMs: number;
  readonly checks: readonly Check[];
  readonly tables: readonly Table[];
  readonly plots: readonly Plot[];
  /** Suite-specific results, written at the top level of the JSON. */
  readonly data: Record<string, unknown>;
  /** Free text under the title of the markdown report. */
  readonly notes?: readonly string[];
}

export interface BenchEnv {
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly date: string;
  /** 1-minute load average when the suite started: other work on the machine skews timings. */
  readonly loadAverage: number;
}

export function benchEnv(): BenchEnv {
  const c = cpus();
  return { node: process.version, platform: `${platform()}-${arch()}`, cpu: c[0]?.model ?? 'unknown', cores: c.length, date: new Date().toISOString(), loadAverage: +loadavg()[0]!.toFixed(2) };
}

/** A suite's invariant broke: exit status 1 after the reports are written. */
export class BenchCheckFailedError extends KvkitError {
  constructor(message: string) {
    super('BENCH_CHECK_FAILED', message);
  }
}

export function fmtCell(v: Cell): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'NO';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e9)) return v.toExponential(2);
    if (a >= 1000) return v.toFixed(0);
    return String(+v.toPrecision(4));
  }
  return v;
}

export function markdownTable(t: Table): string {
  const numeric = t.columns.map((_, i) => t.rows.length > 0 && t.rows.every((r) => r[i] === undefined || r[i] === null || typeof r[i] === 'number'));
  const lines = [
    `| ${t.columns.join(' | ')} |`,
    `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${t.columns.map((_, i) => fmtCell(r[i]).replaceAll('|', '\\|')).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function checksMarkdown(checks: readonly Check[]): string {
  if (!checks.length) return '_no invariants in this suite_';
  return checks.map((c) => `- ${c.skipped ? 'SKIPPED' : c.ok ? 'PASS' : '**FAIL**'} ${c.name}: ${c.detail}`).join('\n');
}

export function reportMarkdown(r: SuiteReport): string {
  const out = [`# kvkit bench ${r.suite}${r.quick ? ' (quick)' : ''}`, ''];
  out.push(`${r.env.date} · Node ${r.env.node} · ${r.env.platform} · ${r.env.cores} × ${r.env.cpu} · load average ${r.env.loadAverage} at start · ${(r.durationMs / 1000).toFixed(1)} s`, '');
  for (const n of r.notes ?? []) out.push(n, '');
  out.push('Parameters: `' + JSON.stringify(r.params) + '`', '');
  out.push('## Invariants', '', checksMarkdown(r.checks), '');
  for (const t of r.tables) {
    out.push(`## ${t.title}`, '', markdownTable(t), '');
    if (t.note) out.push(t.note, '');
  }
  if (r.plots.length) {
    out.push('## Plots', '');
    for (const p of r.plots) out.push(`![${p.title}](${p.file})`, '');
  }
  return out.join('\n');
}

/** The JSON object of a report: envelope fields then the suite's data at the top level. */
export function reportJson(r: SuiteReport): Record<string, unknown> {
  return {
    suite: r.suite,
    quick: r.quick,
    env: r.env,
    params: r.params,
    durationMs: r.durationMs,
    ok: r.checks.every((c) => c.ok || c.skipped),
    checks: r.checks,
    plots: r.plots.map((p) => p.file),
    ...r.data,
  };
}

/** Writes `<out>/<suite>/{report.md, <suite>.json, *.svg}`; returns the folder. */
export function writeReport(outDir: string, r: SuiteReport): string {
  const dir = resolve(join(outDir, r.suite));
  mkdirSync(dir, { recursive: true });
  for (const p of r.plots) writeFileSync(join(dir, p.file), p.svg);
  writeFileSync(join(dir, `${r.suite}.json`), JSON.stringify(reportJson(r), null, 2) + '\n');
  writeFileSync(join(dir, 'report.md'), reportMarkdown(r));
  return dir;
}

/** The tables and checks as the terminal shows them. */
export function reportText(r: SuiteReport, dir?: string): string {
  const out = [`kvkit bench ${r.suite}${r.quick ? ' (quick)' : ''}: ${(r.durationMs / 1000).toFixed(1)} s`, ''];
  for (const t of r.tables.filter((t) => !t.reportOnly)) {
    out.push(`${t.title}`, markdownTable(t), ...(t.note ? [t.note] : []), '');
  }
  out.push('invariants:', checksMarkdown(r.checks));
  if (dir) out.push('', `report: ${join(dir, 'report.md')}`);
  return out.join('\n') + '\n';
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
