/**
 * A point of sale: the merchant enters an amount, the customer taps, the runner charges that
 * amount as a flat fare and reports the outcome; while the card leaves, the merchant may enter
 * the next amount (the next sale waits for the card to have left). Uploads and the hotlist run in
 * the background from `start()` to `stop()`.
 *
 *     const pos = new PosRunner({ readers, store, risk, maxAmount: 50_000 });
 *     pos.start();
 *     const report = await pos.sell(1250); // ¥12.50
 */
import { type TapReport } from './agentEvents.js';
import { serveTap } from './serveTap.js';
import { type RunnerOptions, TerminalRunner } from './terminalRunner.js';

export interface PosRunnerOptions extends RunnerOptions {
  /** The largest amount one sale may charge, fen, 1 to 2^32-1. */
  readonly maxAmount: number;
}

/** Why `sell` refused to start a sale. */
export type PosSaleRefusal = 'AMOUNT_OUT_OF_RANGE' | 'BUSY' | 'STOPPED';

export class PosSaleError extends Error {
  override readonly name = 'PosSaleError';
  readonly reason: PosSaleRefusal;
  constructor(reason: PosSaleRefusal, message: string) {
    super(message);
    this.reason = reason;
  }
}

const MAX_FEN = 0xffffffff;

/** `promise`, or a rejection with the signal's reason if it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class PosRunner extends TerminalRunner {
  readonly maxAmount: number;
  #sale: Promise<unknown> | undefined;
  /** The previous sale's card leaving its reader. */
  #removal: Promise<void> = Promise.resolve();

  /** Throws `RangeError` for a `maxAmount` outside 1 to 2^32-1. */
  constructor(options: PosRunnerOptions) {
    super('pos', options);
    if (!Number.isInteger(options.maxAmount) || options.maxAmount < 1 || options.maxAmount > MAX_FEN) {
      throw new RangeError(`maxAmount must be an integer 1 to ${MAX_FEN} fen, got ${options.maxAmount}`);
    }
    this.maxAmount = options.maxAmount;
  }

  /**
   * Charge `amount` fen (1 to `maxAmount`) to the next card presented. Resolves with the tap's
   * report (the outcome or a fault). Throws `PosSaleError` (amount out of range, a sale already
   * running, the runner stopped or not started) before waiting for a card; rejects with the
   * abort reason when `signal` (the merchant cancels) or `stop()` ends the wait for a card. A
   * tap that has started is not cancelled.
   */
  sell(amount: number, signal?: AbortSignal): Promise<TapReport> {
    if (!Number.isInteger(amount) || amount < 1 || amount > this.maxAmount) {
      return Promise.reject(new PosSaleError('AMOUNT_OUT_OF_RANGE', `the amount must be 1 to ${this.maxAmount} fen, got ${amount}`));
    }
    if (this.stopping.signal.aborted || this.state === 'starting') {
      return Promise.reject(new PosSaleError('STOPPED', this.state === 'starting' ? 'start the POS first' : 'the POS is stopping'));
    }
    if (this.#sale !== undefined) return Promise.reject(new PosSaleError('BUSY', 'a sale is already waiting for a card'));
    const sale = this.#sell(amount, signal === undefined ? this.stopping.signal : AbortSignal.any([this.stopping.signal, signal]));
    this.#sale = sale;
    const settled = (): void => {
      this.#sale = undefined;
    };
    sale.then(settled, settled);
    return sale;
  }

  protected run(): void {
    this.setState('waitingForAmount');
  }

  protected async drain(): Promise<void> {
    await this.#sale?.catch(() => undefined);
  }

  async #sell(amount: number, signal: AbortSignal): Promise<TapReport> {
    try {
      await untilAborted(this.#removal, signal);
      await this.samReady(signal);
      this.setState('waitingForCard');
      const slot = await this.readers.waitForCard(signal);
      this.setState('processing');
      const report = await serveTap(this.settings, this.sam, slot, { kind: 'flat', amount });
      this.report(report);
      this.setState('waitingForRemoval');
      this.#removal = this.waitForRemoval(slot, this.stopping.signal).then(() => this.setState('waitingForAmount'));
      return report;
    } catch (err) {
      this.setState('waitingForAmount');
      throw err;
    }
  }
}
