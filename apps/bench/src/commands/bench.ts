import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Flags, FlagSpecs } from 'kvkit/commands';
import { UsageError } from 'kvkit/commands';
import { cacheSuite } from '../bench/cache-suite.js';
import { memorySuite } from '../bench/memory-suite.js';
import { needleSuite } from '../bench/needle-suite.js';
import { peersSuite } from '../bench/peers-suite.js';
import { prefixSuite } from '../bench/prefix-suite.js';
import { qualitySuite } from '../bench/quality-suite.js';
import type { Check, SuiteReport } from '../bench/report.js';
import { BenchCheckFailedError, benchEnv, checksMarkdown, markdownTable, reportJson, reportMarkdown, reportText, writeReport } from '../bench/report.js';
import { speedSuite } from '../bench/speed-suite.js';
import type { Suite, SuiteArgs } from '../bench/suite.js';
import { commonOptions, listArg, oneOfItem, suiteContext } from '../bench/suite.js';

export const SUITES: readonly Suite[] = [cacheSuite, memorySuite, qualitySuite, needleSuite, speedSuite, peersSuite, prefixSuite];
const NAMES = SUITES.map((s) => s.name);


function failed(checks: readonly Check[]): Check[] {
  return checks.filter((c) => !c.ok && !c.skipped);
}

function throwIfFailed(reports: readonly SuiteReport[]): void {
  const bad = reports.flatMap((r) => failed(r.checks).map((c) => `${r.suite}: ${c.name}: ${c.detail}`));
  if (bad.length) throw new BenchCheckFailedError(`${bad.length} invariant(s) failed:\n  ${bad.join('\n  ')}`);
}

function wantsJson(a: Flags): boolean {
  if (a.format !== undefined && a.format !== 'text' && a.format !== 'json') throw new UsageError(`--format must be one of text, json, got '${String(a.format)}'`);
  return a.format === 'json';
}

/** A suite's own flags as help lists them, each default taken from the suite's usage line (`[--name default]`). */
function suiteFlags(suite: Suite): FlagSpecs {
  return Object.fromEntries(
    Object.entries(suite.options).map(([name, o]) => {
      const shown = new RegExp(`\\[--${name} ([^\\]]+)\\]`).exec(suite.help)?.[1];
      return [name, { value: o.type === 'string' ? '<value>' : undefined, help: '', group: `bench ${suite.name}`, ...(shown ? { default: shown } : {}), ...o }];
    }),
  );
}

/** `kvkit bench <suite> [...]`: one suite; its report into `<out>/<suite>/`. */
export function suiteCommand(suite: Suite): Command {
  return {
    name: `bench ${suite.name}`,
    summary: suite.summary,
    flags: { ...commonOptions, ...suiteFlags(suite) },
    details: `Defaults of the suite's flags:\n  ${suite.help}`,
    async run(a) {
      const asJson = wantsJson(a);
      const ctx = suiteContext(a as SuiteArgs);
      const report = await suite.run(a as SuiteArgs, ctx);
      const dir = writeReport(ctx.out, report);
      process.stdout.write(asJson ? JSON.stringify(reportJson(report)) + '\n' : reportText(report, dir));
      throwIfFailed([report]);
    },
  };
}

/** A suite that threw: reported as one failed check so the other suites still run. */
function crashed(suite: string, quick: boolean, e: unknown, t0: number): SuiteReport {
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { suite, quick, env: benchEnv(), params: {}, durationMs: performance.now() - t0, checks: [{ name: 'suite ran', ok: false, detail }], tables: [], plots: [], data: {} };
}

/** `kvkit bench --quick` (CI smoke run: every suite small, invariants enforced) or `--all` (every suite in full). */
async function runBench(flags: Flags): Promise<void> {
  const a = flags as SuiteArgs;
  const asJson = wantsJson(flags);
  if (!a.quick && !a.all) throw new UsageError(`name a suite (kvkit bench ${NAMES.join('|')}) or give --quick or --all; see 'kvkit bench --help'`);
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
    if (!asJson) process.stdout.write(reportText(report, dir) + '\n');
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
  const outDir = ctx.out;
  writeFileSync(join(outDir, 'report.md'), md);
  const json = { ok, quick: ctx.quick, durationMs: totalMs, env: benchEnv(), suites: reports.map(reportJson) };
  writeFileSync(join(outDir, 'bench.json'), JSON.stringify(json, null, 2) + '\n');
  if (asJson) process.stdout.write(JSON.stringify(json) + '\n');
  else {
    process.stdout.write(`${markdownTable(summary)}\n\ninvariants:\n${reports.map((r) => checksMarkdown(r.checks)).join('\n')}\n\n`);
    process.stdout.write(`${(totalMs / 1000).toFixed(1)} s; report: ${join(outDir, 'report.md')}\n`);
  }
  throwIfFailed(reports);
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'every bench suite: --quick (the CI smoke run, exits 1 if an invariant breaks) or --all; reports and plots into --out',
  flags: {
    ...commonOptions,
    all: { type: 'boolean', help: 'every suite in full (long)', group: 'Run' },
    suites: { type: 'string', value: `<${NAMES.join(',')}>`, help: 'only these suites', default: 'all of them', group: 'Run' },
  },
  details: `One suite: kvkit bench <suite> (${NAMES.join(', ')}); 'kvkit bench <suite> --help' for its flags.`,
  run: runBench,
};
