/** The runner's counters since start: taps by result, declines by reason, money collected. */
import type { TapResult } from './agentEvents.js';

export interface TapCounts {
  /** Every tap, faults included. */
  readonly taps: number;
  readonly approved: number;
  /** Declines by reason (a purse `DeclineReason` or a risk refusal). */
  readonly declined: Readonly<Record<string, number>>;
  readonly tapAgain: number;
  readonly suspect: number;
  readonly recovered: number;
  readonly faults: number;
  /**
   * Fen debited and recorded: approved and suspect amounts, and the amounts of recovered
   * purchases (their debit happened at a torn tap that showed "tap again").
   */
  readonly collected: number;
}

export class TapCounters {
  #taps = 0;
  #approved = 0;
  #declined = new Map<string, number>();
  #tapAgain = 0;
  #suspect = 0;
  #recovered = 0;
  #faults = 0;
  #collected = 0;

  add(result: TapResult): void {
    this.#taps += 1;
    if (result.kind === 'fault') {
      this.#faults += 1;
      return;
    }
    const { outcome } = result;
    switch (outcome.kind) {
      case 'approved':
        this.#approved += 1;
        this.#collected += outcome.amount;
        break;
      case 'suspect':
        this.#suspect += 1;
        this.#collected += outcome.amount;
        break;
      case 'recovered':
        this.#recovered += 1;
        this.#collected += outcome.record.amount;
        break;
      case 'declined':
        this.#declined.set(outcome.reason, (this.#declined.get(outcome.reason) ?? 0) + 1);
        break;
      case 'tapAgain':
        this.#tapAgain += 1;
        break;
    }
  }

  /** A copy; reasons in the order first seen. */
  snapshot(): TapCounts {
    return {
      taps: this.#taps,
      approved: this.#approved,
      declined: Object.fromEntries(this.#declined),
      tapAgain: this.#tapAgain,
      suspect: this.#suspect,
      recovered: this.#recovered,
      faults: this.#faults,
      collected: this.#collected,
    };
  }
}
