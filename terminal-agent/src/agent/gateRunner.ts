/**
 * A transit gate: opens its SAM once, then for ever: wait for a card, run the tap under the
 * gate's fare, report the outcome, wait for the card to leave, next. Uploads and the hotlist
 * run in the background from `start()` to `stop()`.
 *
 *     const gate = new GateRunner({ readers, store, risk, fare: { kind: 'flat', amount: 200 } });
 *     gate.on('tap', (report) => show(report));
 *     gate.start();
 *     process.once('SIGTERM', () => void gate.stop().then(() => store.close()));
 */
import { TransportError } from '../errors.js';
import { type FareRule, checkFareRule } from '../tap/fareRule.js';
import { serveTap } from './serveTap.js';
import { type RunnerOptions, TerminalRunner } from './terminalRunner.js';

export interface GateRunnerOptions extends RunnerOptions {
  readonly fare: FareRule;
  /** Pause after a fault of the reader manager before waiting for a card again, ms; default 1,000. */
  readonly faultPauseMs?: number | undefined;
}

export class GateRunner extends TerminalRunner {
  readonly #fare: FareRule;
  readonly #faultPauseMs: number;
  #loop: Promise<void> = Promise.resolve();

  /** Throws `FareRuleError` for a malformed fare. */
  constructor(options: GateRunnerOptions) {
    super('gate', options);
    checkFareRule(options.fare);
    this.#fare = options.fare;
    this.#faultPauseMs = options.faultPauseMs ?? 1_000;
  }

  protected run(): void {
    this.#loop = this.#serve();
  }

  protected drain(): Promise<void> {
    return this.#loop;
  }

  async #serve(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await this.samReady(signal);
        this.setState('waitingForCard');
        const slot = await this.readers.waitForCard(signal);
        this.setState('processing');
        // Not aborted by stop(): a tap that has started is finished and reported.
        this.report(await serveTap(this.settings, this.sam, slot, this.#fare));
        this.setState('waitingForRemoval');
        await this.waitForRemoval(slot, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.fault(err instanceof Error ? err : new Error(String(err)));
        // A closed reader manager hands out no more cards: the gate is done.
        if (err instanceof TransportError) {
          void this.stop();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.#faultPauseMs));
      }
    }
  }
}
