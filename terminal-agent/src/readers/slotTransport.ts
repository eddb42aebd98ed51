/**
 * The `CardTransport` a reader manager hands out with each inserted card: it forwards to the
 * reader's transport while that card is in, and fails by cause afterwards, so code still holding
 * the slot of a card that left never talks to the next card in the same reader.
 */
import type { CardTransport } from '../transport/cardTransport.js';
import { CardAbsentError, CardRemovedError, ReaderGoneError, TransportError } from '../errors.js';

type SlotState = 'live' | 'cardGone' | 'readerGone' | 'closed';

export class SlotTransport implements CardTransport {
  readonly name: string;
  readonly #reader: CardTransport;
  #state: SlotState = 'live';
  /** Rejecters of the exchanges in flight, called when the reader vanishes. */
  readonly #inFlight = new Set<(err: Error) => void>();

  constructor(reader: CardTransport, name: string = reader.name) {
    this.#reader = reader;
    this.name = name;
  }

  /**
   * Reset the card and return its ATR. Throws `CardAbsentError` once the card left,
   * `ReaderGoneError` once the reader vanished, else what the reader's transport throws.
   */
  powerOn(): Promise<Buffer> {
    return this.#forward('powerOn', () => this.#reader.powerOn());
  }

  /**
   * Send a command APDU, return `data ‖ SW1 SW2`. Throws `CardRemovedError` once the card left,
   * `ReaderGoneError` if the reader vanished before the answer came back (the command's outcome
   * is then unknown), else what the reader's transport throws.
   */
  transmit(command: Uint8Array): Promise<Buffer> {
    return this.#forward('transmit', () => this.#reader.transmit(command));
  }

  /** Whether this slot's card is still in. Throws `ReaderGoneError` once the reader vanished. */
  async isPresent(): Promise<boolean> {
    if (this.#state === 'readerGone') throw this.#readerGone();
    if (this.#state !== 'live') return false;
    return this.#reader.isPresent();
  }

  /** Retire this handle (the reader and its card stay as they are). Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'live') this.#state = 'closed';
  }

  /** The manager saw this slot's card leave. */
  cardLeft(): void {
    if (this.#state === 'live') this.#state = 'cardGone';
  }

  /** The manager saw the reader vanish: exchanges in flight fail now, later calls too. */
  readerVanished(): void {
    if (this.#state === 'readerGone') return;
    this.#state = 'readerGone';
    for (const reject of [...this.#inFlight]) reject(this.#readerGone('during the exchange; its outcome is unknown'));
  }

  async #forward<T>(step: 'powerOn' | 'transmit', call: () => Promise<T>): Promise<T> {
    this.#assertLive(step);
    let vanishError: Error | undefined;
    let rejectOnVanish: (err: Error) => void = () => {};
    const vanished = new Promise<never>((_, reject) => {
      rejectOnVanish = (err) => {
        vanishError = err;
        reject(err);
      };
    });
    this.#inFlight.add(rejectOnVanish);
    let pending: Promise<T> | undefined;
    let result: T;
    try {
      pending = call();
      result = await Promise.race([pending, vanished]);
    } catch (err) {
      if (err === vanishError) throw err;
      // The reader's transport may be first to learn that the reader went: this slot is gone too.
      if (err instanceof ReaderGoneError) this.#state = 'readerGone';
      if (this.#state === 'readerGone') throw this.#readerGone('during the exchange; its outcome is unknown', err);
      throw err;
    } finally {
      this.#inFlight.delete(rejectOnVanish);
      // The reader's own failure after we gave up on it is expected; nobody awaits it any more.
      pending?.catch(() => {});
    }
    // The card answered, but the reader vanished before the answer could be used.
    if (this.#state === 'readerGone') throw this.#readerGone('during the exchange; its outcome is unknown');
    return result;
  }

  #assertLive(step: 'powerOn' | 'transmit'): void {
    switch (this.#state) {
      case 'live':
        return;
      case 'cardGone': {
        const message = `the card that was in "${this.name}" left; wait for the next card`;
        throw step === 'powerOn' ? new CardAbsentError(message) : new CardRemovedError(message);
      }
      case 'readerGone':
        throw this.#readerGone();
      case 'closed':
        throw new TransportError(`slot "${this.name}" is closed`);
    }
  }

  #readerGone(when?: string, cause?: unknown): ReaderGoneError {
    const message = `reader "${this.name}" vanished${when === undefined ? '' : ` ${when}`}`;
    return new ReaderGoneError(message, cause === undefined ? undefined : { cause });
  }
}
