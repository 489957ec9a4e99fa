import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, UsageError } from '../args.js';
import { cacheSuite } from '../bench/cache-suite.js';
import { memorySuite } from '../bench/memory-suite.js';
import { needleSuite } from '../bench/needle-suite.js';
import { peersSuite } from '../bench/peers-suite.js';
import { qualitySuite } from '../bench/quality-suite.js';
import type { Check, SuiteReport } from '../bench/report.js';
import { BenchCheckFailedError, benchEnv, checksMarkdown, markdownTable, reportJson, reportMarkdown, reportText, writeReport } from '../bench/report.js';
import { speedSuite } from '../bench/speed-suite.js';
import type { Suite, SuiteArgs } from '../bench/suite.js';
import { commonHelp, commonOptions, listArg, oneOfItem, suiteContext } from '../bench/suite.js';

export const SUITES: readonly Suite[] = [cacheSuite, memorySuite, qualitySuite, needleSuite, speedSuite, peersSuite];
const NAMES = SUITES.map((s) => s.name);

export const benchHelp = `kvkit bench --quick | --all [--suites ${NAMES.join(',')}] ${commonHelp}
${SUITES.map((s) => `${s.help}\n               ${commonHelp}`).join('\n')}`;

function failed(checks: readonly Check[]): Check[] {
  return checks.filter((c) => !c.ok && !c.skipped);
}

function throwIfFailed(reports: readonly SuiteReport[]): void {
  const bad = reports.flatMap((r) => failed(r.checks).map((c) => `${r.suite}: ${c.name}: ${c.detail}`));
  if (bad.length) throw new BenchCheckFailedError(`${bad.length} invariant(s) failed:\n  ${bad.join('\n  ')}`);
}

/** `kvkit bench <suite> [...]`: one suite; its report into `<out>/<suite>/`. */
export function suiteCommand(suite: Suite): (argv: string[]) => Promise<void> {
  return async (argv) => {
    const a = parse(argv, { ...commonOptions, ...suite.options }) as SuiteArgs;
    const ctx = suiteContext(a);
    const report = await suite.run(a, ctx);
    const dir = writeReport(ctx.out, report);
    process.stdout.write(a.json ? JSON.stringify(reportJson(report)) + '\n' : reportText(report, dir));
    throwIfFailed([report]);
  };
}

/** A suite that threw: reported as one failed check so the other suites still run. */
function crashed(suite: string, quick: boolean, e: unknown, t0: number): SuiteReport {
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { suite, quick, env: benchEnv(), params: {}, durationMs: performance.now() - t0, checks: [{ name: 'suite ran', ok: false, detail }], tables: [], plots: [], data: {} };
}

/** `kvkit bench --quick` (CI smoke run: every suite small, invariants enforced) or `--all` (every suite in full). */
export async function benchCommand(argv: string[]): Promise<void> {
  const a = parse(argv, { ...commonOptions, all: { type: 'boolean', default: false }, suites: { type: 'string' } }) as SuiteArgs;
  if (!a.quick && !a.all) throw new UsageError(`name a suite (${NAMES.join(', ')}) or give --quick or --all\n\n${benchHelp}`);
  if (a.quick && a.all) throw new UsageError('give one of --quick and --all');
  const names = listArg(a.suites, 'suites', NAMES, oneOfItem(NAMES));
  const ctx = suiteContext(a);
  const t0 = performance.now();
  const reports: SuiteReport[] = [];
  for (const suite of SUITES.filter((s) => names.includes(s.name))) {
    const ts = performance.now();
    if (!ctx.quiet) process.stderr.write(`== kvkit bench ${suite.name}${ctx.quick ? ' --quick' : ''}\n`);
    let report: SuiteReport;
    try {
      report = await suite.run({}, ctx);
    } catch (e) {
      report = crashed(suite.name, ctx.quick, e, ts);
    }
    reports.push(report);
    const dir = writeReport(ctx.out, report);
    if (!a.json) process.stdout.write(reportText(report, dir) + '\n');
  }
  const totalMs = performance.now() - t0;
  const summary = {
    title: 'Suites',
    columns: ['suite', 'seconds', 'invariants', 'report'],
    rows: reports.map((r) => [
      r.suite,
      +(r.durationMs / 1000).toFixed(1),
      `${r.checks.filter((c) => c.ok).length} pass, ${failed(r.checks).length} fail, ${r.checks.filter((c) => c.skipped).length} skipped`,
      `${r.suite}/report.md`,
    ]),
  };
  const ok = reports.every((r) => failed(r.checks).length === 0);
  const md = [
    `# kvkit bench${ctx.quick ? ' --quick' : ' --all'}`,
    '',
    `${(totalMs / 1000).toFixed(1)} s in all · ${ok ? 'every invariant holds' : '**some invariants FAILED**'}`,
    '',
    markdownTable(summary),
    '',
    ...reports.map((r) =>
      reportMarkdown(r)
        .replace(/^#/gm, '##')
        .replace(/\]\(([^)]+\.svg)\)/g, `](${r.suite}/$1)`),
    ),
  ].join('\n');
  const outDir = resolve(ctx.out);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.md'), md);
  const json = { ok, quick: ctx.quick, durationMs: totalMs, env: benchEnv(), suites: reports.map(reportJson) };
  writeFileSync(join(outDir, 'bench.json'), JSON.stringify(json, null, 2) + '\n');
  if (a.json) process.stdout.write(JSON.stringify(json) + '\n');
  else {
    process.stdout.write(`${markdownTable(summary)}\n\ninvariants:\n${reports.map((r) => checksMarkdown(r.checks)).join('\n')}\n\n`);
    process.stdout.write(`${(totalMs / 1000).toFixed(1)} s; report: ${join(outDir, 'report.md')}\n`);
  }
  throwIfFailed(reports);
}
