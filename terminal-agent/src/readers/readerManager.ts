/**
 * The port through which a terminal learns which readers it has and which card is in each: the
 * gate, POS and kiosk loops wait on it instead of polling transports. Implementations:
 * `PcscReaderManager` (pcscd, with hot-plug and reconnection) and `InProcessReaderManager` (tests
 * and the in-process demo).
 */
import type { CardTransport } from '../transport/cardTransport.js';

/** What a slot is for: the cardholder's card, or the terminal's PSAM. */
export type ReaderRole = 'card' | 'sam';

/** One card in one reader, from its insertion until its removal. */
export interface CardSlot {
  /** Full reader name (the PC/SC reader name for the PC/SC manager). */
  readonly reader: string;
  readonly role: ReaderRole;
  /** The ATR the reader reported at insertion. */
  readonly atr: Buffer;
  /**
   * Bound to this insertion: after the card leaves, `transmit` throws `CardRemovedError` and
   * `powerOn` `CardAbsentError` (also once another card is in the reader: that card has its own
   * slot); once the reader vanishes every call, including one in flight, throws `ReaderGoneError`.
   * Start a session with `powerOn()` (the manager may have talked to the card to learn its role).
   * `close()` only retires this handle: the manager owns the reader.
   */
  readonly transport: CardTransport;
}

/** A reader as the manager knows it now. */
export interface ReaderInfo {
  readonly name: string;
  /** The configured role, else that of the last card seen in it, else `'card'`. */
  readonly role: ReaderRole;
  /** The card in it now, if any (announced by `cardInserted`). */
  readonly card: CardSlot | undefined;
}

/**
 * Events, in the order a terminal sees them: `readerAdded` before any `cardInserted` of that
 * reader; `cardRemoved` before `readerRemoved` when a reader vanishes with a card in it; every
 * `cardInserted` is followed by exactly one `cardRemoved` for that reader before the next
 * `cardInserted` there. Nothing is emitted after `close()`.
 */
export interface ReaderManagerEvents {
  /** A reader appeared (at start or hot-plugged), with its role as known then (see `ReaderInfo.role`). */
  readerAdded: [name: string, role: ReaderRole];
  /** A reader vanished (unplugged, or pcscd went away). */
  readerRemoved: [name: string];
  /** A card entered a reader, and its role is known. */
  cardInserted: [slot: CardSlot];
  /** The card announced for `reader` left it (or the reader vanished). */
  cardRemoved: [reader: string];
}

export interface ReaderManager {
  on<K extends keyof ReaderManagerEvents>(event: K, listener: (...args: ReaderManagerEvents[K]) => void): this;
  off<K extends keyof ReaderManagerEvents>(event: K, listener: (...args: ReaderManagerEvents[K]) => void): this;
  once<K extends keyof ReaderManagerEvents>(event: K, listener: (...args: ReaderManagerEvents[K]) => void): this;
  /** The readers known now, in order of appearance. */
  readers(): ReaderInfo[];
  /** The transport of a SAM that is in a reader now (the first reader holding one), else undefined. */
  samTransport(): CardTransport | undefined;
  /**
   * The next cardholder card (role `'card'`): one already in a reader and not yet handed out by
   * this method, else the next one inserted. Each insertion is handed out once, so a loop of
   * `waitForCard()` serves every tap once and a card left on the reader is not served again.
   * Rejects with `signal.reason` when aborted, `TransportError` when the manager is closed.
   */
  waitForCard(signal?: AbortSignal): Promise<CardSlot>;
  /** Stop watching readers and release them; pending `waitForCard` calls reject. Idempotent. */
  close(): Promise<void>;
}

/** The logging a reader manager does (pino-compatible): reconnection and role probing, never APDU bytes. */
export interface ReaderLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  debug(obj: Record<string, unknown>, msg?: string): void;
}
