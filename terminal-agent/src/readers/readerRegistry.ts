/**
 * What both reader managers share: the readers and the card in each, role assignment, the events
 * in their promised order, `waitForCard` and `samTransport`. An implementation only reports what
 * its technology sees: a reader appeared or vanished, a card with some ATR is in, the slot is empty.
 */
import { EventEmitter } from 'node:events';
import type { CardTransport } from '../transport/cardTransport.js';
import { CardAbsentError, CardRemovedError, ReaderGoneError, TransportError } from '../errors.js';
import type { CardSlot, ReaderInfo, ReaderLogger, ReaderManager, ReaderManagerEvents, ReaderRole } from './readerManager.js';
import { hasPsamApplication, roleByAtr, roleByName, type ReaderRoleConfig } from './readerRoles.js';
import { SlotTransport } from './slotTransport.js';

/** A card reported in a reader; `key` tells insertions apart (same key: the same insertion). */
export interface ReportedCard {
  readonly atr: Buffer;
  readonly key: unknown;
}

interface CardState {
  readonly slot: CardSlot;
  readonly handle: SlotTransport;
  readonly key: unknown;
  /** Arrival order, so `waitForCard` hands out the oldest card first. */
  readonly seq: number;
}

interface ReaderEntry {
  readonly name: string;
  readonly transport: CardTransport;
  readonly configuredRole: ReaderRole | undefined;
  role: ReaderRole;
  /** `readerAdded` was emitted (it waits for the role of a card found in the reader). */
  announced: boolean;
  card: CardState | undefined;
  /** The insertion whose role is being worked out; replaced or cleared when the slot changes meanwhile. */
  pending: { readonly key: unknown } | undefined;
}

interface Waiter {
  readonly resolve: (slot: CardSlot) => void;
  readonly reject: (err: unknown) => void;
}

export interface ReaderRegistryOptions {
  readonly roles?: ReaderRoleConfig;
  readonly logger?: ReaderLogger;
}

export abstract class ReaderRegistry extends EventEmitter<ReaderManagerEvents> implements ReaderManager {
  protected readonly logger: ReaderLogger | undefined;
  readonly #roles: ReaderRoleConfig;
  readonly #readers = new Map<string, ReaderEntry>();
  readonly #delivered = new WeakSet<CardSlot>();
  #waiters: Waiter[] = [];
  #seq = 0;
  #closed = false;

  constructor(options: ReaderRegistryOptions = {}) {
    super();
    this.#roles = options.roles ?? {};
    this.logger = options.logger;
  }

  get closed(): boolean {
    return this.#closed;
  }

  readers(): ReaderInfo[] {
    return [...this.#readers.values()]
      .filter((entry) => entry.announced)
      .map((entry) => ({ name: entry.name, role: entry.role, card: entry.card?.slot }));
  }

  samTransport(): CardTransport | undefined {
    for (const entry of this.#readers.values()) {
      if (entry.card?.slot.role === 'sam') return entry.card.slot.transport;
    }
    return undefined;
  }

  waitForCard(signal?: AbortSignal): Promise<CardSlot> {
    if (this.#closed) return Promise.reject(new TransportError('the reader manager is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const ready = [...this.#readers.values()]
      .map((entry) => entry.card)
      .filter((card): card is CardState => card !== undefined && card.slot.role === 'card' && !this.#delivered.has(card.slot))
      .sort((a, b) => a.seq - b.seq)[0];
    if (ready !== undefined) {
      this.#delivered.add(ready.slot);
      return Promise.resolve(ready.slot);
    }
    return new Promise<CardSlot>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  abstract close(): Promise<void>;

  /**
   * A reader appeared. With `card`, `readerAdded` waits until that card's role is known and is
   * followed by `cardInserted`. Throws `TransportError` if the name is already tracked or the
   * registry is closed.
   */
  protected async trackReader(name: string, transport: CardTransport, card?: ReportedCard): Promise<void> {
    if (this.#closed) throw new TransportError('the reader manager is closed');
    if (this.#readers.has(name)) throw new TransportError(`reader "${name}" is already known`);
    const configuredRole = roleByName(name, this.#roles);
    const entry: ReaderEntry = {
      name,
      transport,
      configuredRole,
      role: configuredRole ?? 'card',
      announced: false,
      card: undefined,
      pending: undefined,
    };
    this.#readers.set(name, entry);
    if (card === undefined) {
      this.#announce(entry);
      return;
    }
    await this.cardPresent(name, card);
  }

  /**
   * A card is in `reader`. A new `key` means a new insertion: the previous card (if announced) is
   * reported removed, the new one gets its role and `cardInserted`. Resolves with the slot, or
   * undefined if the slot changed again (or the reader vanished) before the role was known.
   */
  protected async cardPresent(reader: string, card: ReportedCard): Promise<CardSlot | undefined> {
    const entry = this.#readers.get(reader);
    if (entry === undefined || this.#closed) return undefined;
    if (entry.card !== undefined && entry.card.key === card.key) return entry.card.slot;
    if (entry.pending !== undefined && entry.pending.key === card.key) return undefined;
    if (entry.card !== undefined) this.#cardLeft(entry);
    const pending = { key: card.key };
    entry.pending = pending;
    const role = await this.#roleOf(entry, card.atr);
    if (entry.pending !== pending || this.#closed || this.#readers.get(reader) !== entry) return undefined;
    entry.pending = undefined;
    if (role === undefined) {
      this.#announce(entry);
      return undefined;
    }
    if (entry.configuredRole === undefined) entry.role = role;
    this.#announce(entry);
    const handle = new SlotTransport(entry.transport, reader);
    const slot: CardSlot = { reader, role, atr: Buffer.from(card.atr), transport: handle };
    entry.card = { slot, handle, key: card.key, seq: this.#seq++ };
    this.#emit('cardInserted', slot);
    if (role === 'card') this.#deliver(slot);
    return slot;
  }

  /** The slot of `reader` is empty. */
  protected cardAbsent(reader: string): void {
    const entry = this.#readers.get(reader);
    if (entry === undefined || this.#closed) return;
    entry.pending = undefined;
    this.#announce(entry);
    if (entry.card !== undefined) this.#cardLeft(entry);
  }

  /** The key of the card announced in `reader`, or undefined. */
  protected cardKey(reader: string): unknown {
    return this.#readers.get(reader)?.card?.key;
  }

  protected isTracked(reader: string): boolean {
    return this.#readers.has(reader);
  }

  /** Every tracked reader, announced or not yet. */
  protected trackedReaders(): string[] {
    return [...this.#readers.keys()];
  }

  /**
   * `reader` vanished: exchanges in flight on its card fail with `ReaderGoneError`, then
   * `cardRemoved` (if a card was announced) and `readerRemoved` (if the reader was). Returns the
   * reader's transport for the caller to release, or undefined if it was not tracked.
   */
  protected untrackReader(reader: string): CardTransport | undefined {
    const entry = this.#readers.get(reader);
    if (entry === undefined) return undefined;
    this.#readers.delete(reader);
    entry.pending = undefined;
    const card = entry.card;
    entry.card = undefined;
    if (this.#closed) return entry.transport;
    if (card !== undefined) {
      card.handle.readerVanished();
      this.#emit('cardRemoved', reader);
    }
    if (entry.announced) this.#emit('readerRemoved', reader);
    return entry.transport;
  }

  /**
   * Stop: no more events, pending `waitForCard` calls reject, handed-out slots are retired.
   * Returns every reader transport for the caller to release.
   */
  protected closeRegistry(): CardTransport[] {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(new TransportError('the reader manager is closed'));
    const entries = [...this.#readers.values()];
    this.#readers.clear();
    for (const entry of entries) {
      entry.pending = undefined;
      // An exchange in flight finishes: the caller closes the reader transports after it.
      void entry.card?.handle.close();
      entry.card = undefined;
    }
    return entries.map((entry) => entry.transport);
  }

  #announce(entry: ReaderEntry): void {
    if (entry.announced) return;
    entry.announced = true;
    this.#emit('readerAdded', entry.name, entry.role);
  }

  #cardLeft(entry: ReaderEntry): void {
    const card = entry.card;
    if (card === undefined) return;
    entry.card = undefined;
    card.handle.cardLeft();
    this.#emit('cardRemoved', entry.name);
  }

  #deliver(slot: CardSlot): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    this.#delivered.add(slot);
    waiter.resolve(slot);
  }

  /** The card's role, or undefined if it left (or the reader vanished) while we asked it. */
  async #roleOf(entry: ReaderEntry, atr: Buffer): Promise<ReaderRole | undefined> {
    if (entry.configuredRole !== undefined) return entry.configuredRole;
    const byAtr = roleByAtr(atr, this.#roles);
    if (byAtr !== 'cityCard') return byAtr;
    if (this.#roles.probeCityCardAtr === false) return 'card';
    try {
      return (await hasPsamApplication(entry.transport)) ? 'sam' : 'card';
    } catch (err) {
      if (err instanceof CardAbsentError || err instanceof CardRemovedError || err instanceof ReaderGoneError) {
        this.logger?.debug({ reader: entry.name, err }, 'card left while probed for the PSAM application');
        return undefined;
      }
      this.logger?.warn({ reader: entry.name, err }, 'PSAM probe failed; taking the card for a cardholder card');
      return 'card';
    }
  }

  #emit<K extends keyof ReaderManagerEvents>(event: K, ...args: ReaderManagerEvents[K]): void {
    try {
      (this.emit as (name: string, ...values: unknown[]) => boolean).call(this, event, ...args);
    } catch (err) {
      // A listener's bug must neither leave the registry half-updated nor unwind into pcscd's
      // callbacks: it surfaces as an uncaught exception of its own.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
