/**
 * `CardTransport` over a card object in the same process (a card-os `SmartCard` fits): no PC/SC,
 * no sockets, for tests and demos. `remove()` / `insert()` simulate taking the card out and
 * putting one in; the rules match the PC/SC adapter (a session starts with `powerOn()`, a removal
 * ends it, `CardRemovedError` until the next `powerOn()`).
 */
import type { CardTransport } from './cardTransport.js';
import { CardAbsentError, CardRemovedError, TransportError } from '../errors.js';

/** What the adapter needs of a card; declared here so the terminal does not depend on card-os. */
export interface InProcessCard {
  powerOn(): Buffer;
  powerOff(): void;
  transmit(command: Uint8Array): Buffer;
}

export class InProcessAdapter implements CardTransport {
  readonly name: string;
  #card: InProcessCard | undefined;
  #powered = false;
  #cardLost = false;
  #closed = false;

  /** `card` undefined starts with an empty slot. */
  constructor(card: InProcessCard | undefined, name = 'in-process') {
    this.#card = card;
    this.name = name;
  }

  /** Cold-reset the card and return its ATR. Throws `CardAbsentError` with an empty slot. */
  async powerOn(): Promise<Buffer> {
    const card = this.#usableCard();
    if (card === undefined) throw new CardAbsentError(`no card in "${this.name}"`);
    const atr = this.#call(() => card.powerOn(), 'power on');
    this.#powered = true;
    this.#cardLost = false;
    return Buffer.from(atr);
  }

  /**
   * Send a command APDU and return `data ‖ SW1 SW2`. Throws `CardRemovedError` after `remove()`
   * until the next `powerOn()`, `TransportError` without a session or if the card object throws.
   */
  async transmit(command: Uint8Array): Promise<Buffer> {
    const card = this.#usableCard();
    if (this.#cardLost) throw new CardRemovedError(`card left "${this.name}"; power on again`);
    if (card === undefined || !this.#powered) {
      throw new TransportError(`no card session on "${this.name}": call powerOn() first`);
    }
    // Copy both ways, as bytes crossing a real interface would be: neither side can alias the other's buffer.
    const response = this.#call(() => card.transmit(Buffer.from(command)), 'transmit');
    return Buffer.from(response);
  }

  async isPresent(): Promise<boolean> {
    return this.#usableCard() !== undefined;
  }

  /** Take the card out: it loses power and any session on it ends. Returns the card, if there was one. */
  remove(): InProcessCard | undefined {
    const card = this.#card;
    const wasPowered = this.#powered;
    this.#card = undefined;
    this.#powered = false;
    if (card !== undefined && wasPowered) {
      this.#cardLost = true;
      this.#call(() => card.powerOff(), 'power off');
    }
    return card;
  }

  /** Put a card in (unpowered until `powerOn()`). Throws `TransportError` if the slot is occupied or closed. */
  insert(card: InProcessCard): void {
    if (this.#closed) throw new TransportError(`transport "${this.name}" is closed`);
    if (this.#card !== undefined) throw new TransportError(`"${this.name}" already holds a card`);
    this.#card = card;
  }

  /** Power the card off and release it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const card = this.#card;
    const wasPowered = this.#powered;
    this.#powered = false;
    this.#closed = true;
    if (card !== undefined && wasPowered) this.#call(() => card.powerOff(), 'power off');
  }

  #usableCard(): InProcessCard | undefined {
    if (this.#closed) throw new TransportError(`transport "${this.name}" is closed`);
    return this.#card;
  }

  #call<T>(operation: () => T, what: string): T {
    try {
      return operation();
    } catch (err) {
      throw new TransportError(`card in "${this.name}" failed to ${what}`, { cause: err });
    }
  }
}
