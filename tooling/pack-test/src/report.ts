// Named checks and the summary printed at the end: every check passes or fails with a reason, and
// the process exits non-zero when any failed.

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** Lines worth keeping: what was measured on success, why on failure. */
  readonly lines: readonly string[];
  readonly seconds: number;
}

/** A failed expectation inside a check; the message says what was expected and what came out. */
export class CheckFailure extends Error {}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

/** Runs every part even when one fails; their lines, or one failure that lists every part's reason. */
export async function allOf(parts: readonly (() => Promise<readonly string[]>)[]): Promise<string[]> {
  const lines: string[] = [];
  const failures: string[] = [];
  for (const part of parts) {
    try {
      lines.push(...(await part()));
    } catch (e) {
      failures.push(e instanceof CheckFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
  }
  if (failures.length) throw new CheckFailure([...failures, ...lines.map((l) => `(passed) ${l}`)].join('\n'));
  return lines;
}

export class Report {
  readonly results: CheckResult[] = [];

  /** Runs `body` as the check `name`; its returned lines are printed under the check's status. */
  async check(name: string, body: () => Promise<readonly string[]>): Promise<boolean> {
    const start = performance.now();
    let result: CheckResult;
    try {
      const lines = await body();
      result = { name, ok: true, lines, seconds: (performance.now() - start) / 1000 };
    } catch (e) {
      const message = e instanceof Error ? (e instanceof CheckFailure ? e.message : (e.stack ?? e.message)) : String(e);
      result = { name, ok: false, lines: message.split('\n'), seconds: (performance.now() - start) / 1000 };
    }
    this.results.push(result);
    console.log(formatResult(result));
    return result.ok;
  }

  /** Records a check that could not run because an earlier step failed. */
  blocked(name: string, reason: string): void {
    const result = { name, ok: false, lines: [`not run: ${reason}`], seconds: 0 };
    this.results.push(result);
    console.log(formatResult(result));
  }

  get failed(): CheckResult[] {
    return this.results.filter((r) => !r.ok);
  }

  summary(): string {
    const rows = this.results.map((r) => `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name} (${r.seconds.toFixed(1)} s)`);
    const verdict = this.failed.length === 0 ? `PASS: all ${this.results.length} checks passed` : `FAIL: ${this.failed.length} of ${this.results.length} checks failed: ${this.failed.map((r) => r.name).join('; ')}`;
    return ['', 'pack-and-install test summary', ...rows, verdict].join('\n');
  }
}

function formatResult(r: CheckResult): string {
  const head = `[pack-test] ${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.seconds.toFixed(1)} s)`;
  return [head, ...r.lines.map((l) => `    ${l}`)].join('\n');
}
