/**
 * Gaps in a numbered series (a card's offline or online counters, a PSAM's TTSNs), kept up to
 * date as numbers arrive (docs/clearing-checks.md, "Gaps"). Pure.
 *
 * A gap is named by the known number right after it, and covers every missing number between the
 * known number before it (or the series' first number) and that one. An arrival opens the gap
 * before itself, and narrows or fills the gap before the next known number. The gaps are a
 * function of the known numbers alone, so the open gaps end the same whatever order records
 * arrive in; arrivals are taken in ascending order, so one call's consecutive numbers never open
 * a gap between themselves.
 */
import type { Known } from '../../data/clearingChainRepository.js';

/** What a gap change means to the review queue. */
export interface GapReporter {
  /** The gap before `at` now covers from..to: open it, or narrow the open one. */
  gap(at: Known, from: number, to: number): void;
  /** The gap before `at`, if open, is filled by the row `byInboxId`. */
  filled(at: Known, byInboxId: number): void;
}

/** Known numbers of one series around the arrivals (every one between them, one on each side). */
export class KnownNumbers {
  readonly #items: Known[];

  /** @param sorted ascending, no repeats. */
  constructor(sorted: readonly Known[]) {
    this.#items = [...sorted];
  }

  /** Index of the first item >= n. */
  #search(n: number): number {
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.n < n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(n: number): boolean {
    return this.#items[this.#search(n)]?.n === n;
  }

  below(n: number): Known | undefined {
    return this.#items[this.#search(n) - 1];
  }

  above(n: number): Known | undefined {
    const i = this.#search(n);
    const at = this.#items[i];
    return at?.n === n ? this.#items[i + 1] : at;
  }

  add(k: Known): void {
    this.#items.splice(this.#search(k.n), 0, k);
  }
}

/**
 * Adds `arrivals` (numbers the series did not hold; in any order) in ascending order and reports
 * every gap change. `first` is where the series starts (card counters: 0), or undefined when it
 * may start anywhere (TTSNs).
 */
export function addArrivals(known: KnownNumbers, first: number | undefined, arrivals: readonly Known[], report: GapReporter): void {
  for (const arrived of [...arrivals].sort((a, b) => a.n - b.n)) {
    const lo = known.below(arrived.n);
    const hi = known.above(arrived.n);
    const from = lo === undefined ? first : lo.n + 1;
    if (from !== undefined && from < arrived.n) report.gap(arrived, from, arrived.n - 1);
    if (hi !== undefined) {
      if (hi.n === arrived.n + 1) report.filled(hi, arrived.inboxId);
      else report.gap(hi, arrived.n + 1, hi.n - 1);
    }
    known.add(arrived);
  }
}
