/**
 * The gate and POS screen on a terminal: tap outcomes and notices as lines, with the status line
 * under them. On a TTY the status line is redrawn in place (every second, and at each event); on
 * anything else (a log file, a pipe) it is printed as a plain line when it changed, and only in
 * the states a terminal rests in, so a log gets one status line per tap rather than one per step.
 */
import type { AgentStatus, RunnerState } from '../../terminal-agent/src/agent/agentEvents.js';
import { formatStatusLine } from './agentFormat.js';

export interface DisplayStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

/** Erase the current line and go back to its start. */
const CLEAR_LINE = '\r\x1b[2K';
const RESTING: ReadonlySet<RunnerState> = new Set(['waitingForSam', 'waitingForCard', 'waitingForAmount', 'stopped']);

export class StatusDisplay {
  readonly #out: DisplayStream;
  readonly #status: () => AgentStatus;
  readonly #now: () => Date;
  readonly #tty: boolean;
  #timer: NodeJS.Timeout | undefined;
  /** The status line is on screen (TTY). */
  #shown = false;
  #paused = false;
  #lastPrinted = '';

  constructor(out: DisplayStream, status: () => AgentStatus, now: () => Date = () => new Date()) {
    this.#out = out;
    this.#status = status;
    this.#now = now;
    this.#tty = out.isTTY === true;
  }

  /** Redraw every `periodMs` on a TTY (nothing to do otherwise). */
  start(periodMs = 1000): void {
    if (!this.#tty || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.refresh(), periodMs);
    this.#timer.unref();
  }

  /** A line above the status line (a tap's outcome, a notice); a plain log gets the status at the next resting state. */
  line(text: string): void {
    this.#clear();
    this.#out.write(`${text}\n`);
    if (this.#tty) this.refresh();
  }

  /** Show the status as it is now. */
  refresh(): void {
    if (this.#paused) return;
    const status = this.#status();
    const text = formatStatusLine(status, this.#now());
    if (this.#tty) {
      this.#out.write(`${CLEAR_LINE}${text}`);
      this.#shown = true;
      return;
    }
    // A plain log: the age part changes every second, so compare without it.
    const key = text.replace(/, [0-9]+ (?:s|min|h|d) old/, '');
    if (!RESTING.has(status.state) || key === this.#lastPrinted) return;
    this.#lastPrinted = key;
    this.#out.write(`${text}\n`);
  }

  /** Take the status line away while the terminal asks something (the POS amount). */
  pause(): void {
    this.#clear();
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.refresh();
  }

  /** Stop redrawing; the last status line stays on its own line. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.refresh();
    if (this.#tty && this.#shown) this.#out.write('\n');
    this.#shown = false;
    this.#paused = true;
  }

  #clear(): void {
    if (this.#tty && this.#shown) this.#out.write(CLEAR_LINE);
    this.#shown = false;
  }
}
