/**
 * The re-clear progress bar on stderr, in the style of the bureau's issuance bar:
 * `[#######.............]  70000/200000 rows  jobs 35/100  failed 0`. On a terminal it is
 * redrawn in place; elsewhere (a log, a pipe) each update is a line of its own.
 */

export interface ReclearCounts {
  /** Rows to re-clear, 0 or more. */
  readonly rows: number;
  readonly rowsDone: number;
  readonly jobs: number;
  readonly jobsDone: number;
  /** Jobs that ran out of tries (their rows count as finished, not done). */
  readonly jobsFailed: number;
}

/**
 * One line (no newline). `width` is the bar's inner width, 10-100 characters; counts above the
 * total fill the bar, never overflow it.
 */
export function renderReclearBar(c: ReclearCounts, width = 30): string {
  const inner = Math.min(Math.max(Math.trunc(width), 10), 100);
  const filled = c.rows <= 0 ? inner : Math.min(inner, Math.floor((c.rowsDone * inner) / c.rows));
  const digits = String(c.rows).length;
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}] ${String(Math.min(c.rowsDone, c.rows)).padStart(digits)}/${c.rows} rows  jobs ${c.jobsDone}/${c.jobs}  failed ${c.jobsFailed}`;
}

/** The part of a stream the bar uses (`process.stderr` in the command). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** Carriage return and "erase to end of line": the bar's line is reused. */
const CLEAR_LINE = '\r\x1b[K';

export class ReclearProgress {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  #shown = false;

  constructor(stream: ProgressStream) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  show(counts: ReclearCounts): void {
    const bar = renderReclearBar(counts);
    this.#stream.write(this.#tty ? `${CLEAR_LINE}${bar}` : `reclear: ${bar}\n`);
    this.#shown = true;
  }

  /** Ends the bar's line on a terminal, so what follows starts on a line of its own. */
  close(): void {
    if (this.#tty && this.#shown) this.#stream.write('\n');
    this.#shown = false;
  }
}
