// A one-line progress indicator on stderr: redrawn in place on a terminal, a line every few seconds otherwise.

export interface ProgressOptions {
  readonly quiet?: boolean;
  readonly stream?: NodeJS.WriteStream;
}

export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #quiet: boolean;
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #start = performance.now();
  #done = 0;
  #lastLine = 0;

  constructor(label: string, total: number, opts: ProgressOptions = {}) {
    this.#label = label;
    this.#total = Math.max(1, total);
    this.#quiet = opts.quiet ?? false;
    this.#stream = opts.stream ?? process.stderr;
    this.#tty = this.#stream.isTTY === true;
  }

  /** Announce the step about to run (`detail`) after `done` steps. */
  update(detail: string): void {
    if (this.#quiet) return;
    const now = performance.now();
    const elapsed = (now - this.#start) / 1000;
    const pct = Math.floor((100 * this.#done) / this.#total);
    const eta = this.#done > 0 ? (elapsed / this.#done) * (this.#total - this.#done) : undefined;
    const width = 20;
    const filled = Math.round((width * this.#done) / this.#total);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${this.#label} ${bar} ${this.#done}/${this.#total} ${pct}% ${fmtSeconds(elapsed)}${eta !== undefined ? ` eta ${fmtSeconds(eta)}` : ''} ${detail}`;
    if (this.#tty) {
      const cols = this.#stream.columns ?? 120;
      this.#stream.write(`\r\x1b[K${line.slice(0, cols - 1)}`);
    } else if (now - this.#lastLine > 5000 || this.#done === 0) {
      this.#lastLine = now;
      this.#stream.write(line + '\n');
    }
  }

  /** One step finished. */
  tick(detail = ''): void {
    this.#done = Math.min(this.#total, this.#done + 1);
    if (detail) this.update(detail);
  }

  finish(): void {
    if (this.#quiet) return;
    const elapsed = (performance.now() - this.#start) / 1000;
    const line = `${this.#label} done: ${this.#done}/${this.#total} in ${fmtSeconds(elapsed)}`;
    this.#stream.write(this.#tty ? `\r\x1b[K${line}\n` : line + '\n');
  }
}

function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}
