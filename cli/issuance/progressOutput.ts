/**
 * What the operator reads on stderr during `bureau issue-batch`: one line per event (each card by
 * its number, each prompt), and the progress bar. On a terminal the bar stays on the last line
 * and is redrawn in place; elsewhere (a log file, a pipe) every line stands alone and the bar is
 * printed as a line of its own after each card, so the record reads top to bottom.
 */
import { toHex } from '@citycard/protocols';
import type { IssuanceOutcome } from '../../terminal-agent/src/bureau/index.js';
import { type BarCounts, renderProgressBar } from './progressBar.js';

/** The part of a stream the output uses (`process.stderr` in the command). */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const PREFIX = 'bureau: ';
/** Carriage return and "erase to end of line": the bar's line is reused. */
const CLEAR_LINE = '\r\x1b[K';

export class ProgressOutput {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  #bar: string | undefined;

  constructor(stream: ProgressStream) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  /** One line of text (without a newline), kept above the bar on a terminal. */
  line(text: string): void {
    if (this.#tty && this.#bar !== undefined) {
      this.#stream.write(`${CLEAR_LINE}${PREFIX}${text}\n${this.#bar}`);
    } else {
      this.#stream.write(`${PREFIX}${text}\n`);
    }
  }

  /** Show the progress: redrawn in place on a terminal, a line elsewhere. */
  progress(counts: BarCounts): void {
    const bar = renderProgressBar(counts);
    if (this.#tty) {
      this.#bar = bar;
      this.#stream.write(`${CLEAR_LINE}${bar}`);
    } else {
      this.#stream.write(`${PREFIX}${bar}\n`);
    }
  }

  /** Ends the bar's line on a terminal, so what follows starts on a line of its own. */
  close(): void {
    if (this.#tty && this.#bar !== undefined) this.#stream.write('\n');
    this.#bar = undefined;
  }
}

/** One line about a finished card, naming it by the number it got (or was to get) and its job. */
export function outcomeLine(outcome: IssuanceOutcome): string {
  const job = `job ${outcome.jobId}`;
  if (outcome.kind === 'done') return `card ${outcome.cardNumber} done (CSN ${toHex(outcome.csn)}, ${job})`;
  if (outcome.kind === 'unreported') {
    return `card ${outcome.cardNumber} is personalized (CSN ${toHex(outcome.csn)}) but the backend was not told (${outcome.error.message}): set it aside; ${job} returns to the queue when its lease runs out`;
  }
  let next: string;
  if (outcome.reportError !== undefined) {
    next = `the backend was not told (${outcome.reportError.message}); ${job} returns to the queue when its lease runs out`;
  } else {
    // The backend decides whether attempts are left; the station only says what it asked for.
    next = outcome.failure.retryable ? `${job} reported for a retry` : `${job} reported as failed for good (retrying cannot help)`;
  }
  return `card ${outcome.cardNumber} failed at ${outcome.failure.step}: ${outcome.failure.reason}; ${next}`;
}
