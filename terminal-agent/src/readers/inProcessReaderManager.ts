/**
 * A reader manager over in-process readers (`InProcessAdapter`s): tests and the in-process demo
 * plug readers in and out and insert and remove cards by calling methods, and the terminal code
 * above sees the same events, roles and errors as with pcscd.
 */
import { InProcessAdapter, type InProcessCard } from '../transport/inProcessAdapter.js';
import { TransportError } from '../errors.js';
import type { CardSlot, ReaderLogger } from './readerManager.js';
import type { ReaderRoleConfig } from './readerRoles.js';
import { ReaderRegistry } from './readerRegistry.js';

export interface InProcessReaderManagerOptions {
  /** Role assignment (default: by ATR, probing CityCard ATRs for the PSAM application). */
  readonly roles?: ReaderRoleConfig;
  readonly logger?: ReaderLogger;
}

export class InProcessReaderManager extends ReaderRegistry {
  readonly #adapters = new Map<string, InProcessAdapter>();
  /** Tells insertions apart, as pcsc-lite's card event counter does. */
  #insertions = 0;

  constructor(options: InProcessReaderManagerOptions = {}) {
    super(options);
  }

  /**
   * Plug in a reader, empty or holding `card`. Resolves once `readerAdded` (and then
   * `cardInserted`) were emitted. Throws `TransportError` if the name is taken or the manager is
   * closed, or if `card` fails to power on (the reader is then not plugged in).
   */
  async attachReader(name: string, card?: InProcessCard): Promise<void> {
    this.#assertOpen();
    if (this.#adapters.has(name)) throw new TransportError(`reader "${name}" is already attached`);
    const adapter = new InProcessAdapter(card, name);
    const atr = card === undefined ? undefined : await adapter.powerOn().catch((err: unknown) => {
      void adapter.close();
      throw err;
    });
    this.#assertOpen();
    if (this.#adapters.has(name)) throw new TransportError(`reader "${name}" is already attached`);
    this.#adapters.set(name, adapter);
    await this.trackReader(name, adapter, atr === undefined ? undefined : { atr, key: ++this.#insertions });
  }

  /**
   * Unplug a reader: an exchange in flight on its card fails with `ReaderGoneError`, then
   * `cardRemoved` (if a card was in) and `readerRemoved` are emitted. Throws `TransportError` for
   * an unknown reader.
   */
  detachReader(name: string): void {
    const adapter = this.#adapter(name);
    this.#adapters.delete(name);
    this.untrackReader(name);
    // Not from inside the card's own transmit (a test may unplug mid-command): after it returns.
    queueMicrotask(() => void adapter.close());
  }

  /**
   * Put `card` in `reader`; the reader powers it up for its ATR, as a real one does. Resolves with
   * the slot once `cardInserted` was emitted, or undefined if the card was removed (or the reader
   * detached) before its role was known. Throws `TransportError` for an unknown reader, one that
   * already holds a card, or a card that fails to power on (it then stays in, mute, until removed).
   */
  async insertCard(reader: string, card: InProcessCard): Promise<CardSlot | undefined> {
    const adapter = this.#adapter(reader);
    adapter.insert(card);
    const atr = await adapter.powerOn();
    return this.cardPresent(reader, { atr, key: ++this.#insertions });
  }

  /**
   * Take the card out of `reader` (its session ends; `cardRemoved` if it had been announced).
   * Returns the card, or undefined if the slot was empty. Throws `TransportError` for an unknown reader.
   */
  removeCard(reader: string): InProcessCard | undefined {
    const card = this.#adapter(reader).remove();
    this.cardAbsent(reader);
    return card;
  }

  /** Detach every reader without events; pending `waitForCard` calls reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    const transports = this.closeRegistry();
    this.#adapters.clear();
    await Promise.all(transports.map((t) => t.close()));
  }

  #adapter(name: string): InProcessAdapter {
    this.#assertOpen();
    const adapter = this.#adapters.get(name);
    if (adapter === undefined) throw new TransportError(`no reader "${name}" is attached`);
    return adapter;
  }

  #assertOpen(): void {
    if (this.closed) throw new TransportError('the reader manager is closed');
  }
}
