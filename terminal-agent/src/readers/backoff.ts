/** Exponential reconnection delays: initial, doubled per failed attempt, capped; reset after a success. */
export interface BackoffOptions {
  /** First delay, ms (default 250; 0..2^31-1). */
  readonly initialDelayMs?: number;
  /** Ceiling, ms (default 5000; at least the initial delay). */
  readonly maxDelayMs?: number;
}

export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  #next: number;

  /** Throws `RangeError` for a negative or non-finite delay. */
  constructor(options: BackoffOptions = {}) {
    this.#initial = options.initialDelayMs ?? 250;
    this.#max = Math.max(options.maxDelayMs ?? 5000, this.#initial);
    if (!Number.isFinite(this.#initial) || this.#initial < 0 || !Number.isFinite(this.#max)) {
      throw new RangeError(`backoff delays must be finite and >= 0, got ${this.#initial} and ${this.#max}`);
    }
    this.#next = this.#initial;
  }

  /** The delay before the next attempt; each call doubles the following one up to the ceiling. */
  next(): number {
    const delay = this.#next;
    this.#next = Math.min(this.#max, Math.max(1, this.#next * 2));
    return delay;
  }

  /** Start again from the initial delay (after a successful connection). */
  reset(): void {
    this.#next = this.#initial;
  }
}
