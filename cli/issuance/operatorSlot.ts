/**
 * The reader as the operator works it in bureau mode: a blank card in the slot before the first
 * job is claimed; between cards, the finished card taken out (unless a feeder re-blanks cards in
 * place) and the next blank card put in. Each wait is bounded by the card timeout.
 */
import { CardAbsentError } from '@citycard/terminal-agent';
import type { BatchProgress } from '../../terminal-agent/src/bureau/index.js';

/** What the slot needs of the reader (`PcscAdapter` has it). */
export interface SlotReader {
  isPresent(): Promise<boolean>;
  /** Resolves once a card answered its reset; throws `CardAbsentError` after `timeoutMs`. */
  waitForCard(timeoutMs: number): Promise<unknown>;
}

export interface OperatorSlotOptions {
  /** Wait for the card to be taken out and the next one put in between cards. */
  readonly swapCards: boolean;
  /** Longest wait for the operator, each time, in ms (1 or more). */
  readonly timeoutMs: number;
  /** Prompts for the operator. */
  readonly say: (text: string) => void;
  /** How often to look whether the card left, ms; default 200 (pcscd itself polls every ~400). */
  readonly pollMs?: number;
}

/** The operator did not take a card out or put one in within the card timeout. */
export class NoBlankCardError extends Error {
  override readonly name = 'NoBlankCardError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class OperatorSlot {
  readonly #reader: SlotReader;
  readonly #options: OperatorSlotOptions;

  constructor(reader: SlotReader, options: OperatorSlotOptions) {
    this.#reader = reader;
    this.#options = options;
  }

  /**
   * Resolves when a blank card is ready for the next job (the batch's `nextCard`). Throws
   * `NoBlankCardError` when the operator does not act within the timeout; reader errors as they come.
   */
  async next(progress: BatchProgress): Promise<void> {
    const finished = progress.done + progress.failed + progress.unreported;
    if (finished > 0 && this.#options.swapCards) {
      if (await this.#reader.isPresent()) {
        this.#options.say('take the card out');
        await this.#waitForRemoval();
      }
      this.#options.say('insert the next blank card');
    } else if (!(await this.#reader.isPresent())) {
      this.#options.say('insert a blank card');
    }
    try {
      await this.#reader.waitForCard(this.#options.timeoutMs);
    } catch (err) {
      if (err instanceof CardAbsentError) throw new NoBlankCardError(`no blank card within ${seconds(this.#options.timeoutMs)}`, { cause: err });
      throw err;
    }
  }

  async #waitForRemoval(): Promise<void> {
    const until = Date.now() + this.#options.timeoutMs;
    while (await this.#reader.isPresent()) {
      if (Date.now() >= until) throw new NoBlankCardError(`the card was not taken out within ${seconds(this.#options.timeoutMs)}`);
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollMs ?? 200));
    }
  }
}

const seconds = (ms: number): string => `${ms / 1000} s`;
