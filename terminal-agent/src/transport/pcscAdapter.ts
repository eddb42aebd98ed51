/**
 * `CardTransport` over a reader of the PC/SC stack (pcscd), through `@pokusew/pcsclite`. Connects
 * in shared mode with protocol T=1 (card interface spec §1); responses up to 256 data bytes + SW.
 *
 * Serve a virtual (vpcd) card from another process or worker thread than the one using this
 * adapter: the binding can block the main thread on a reader mutex that its worker holds while it
 * waits for the card's answer, and a card answering on that main thread then never does. The
 * window is narrow, but it is a deadlock.
 */
import type { CardReader } from '@pokusew/pcsclite';
import type { CardTransport } from './cardTransport.js';
import { CardAbsentError, CardRemovedError, ReaderGoneError, TransportError } from '../errors.js';
import { SCARD_E_NOT_TRANSACTED, isCommFailure, mapPcscError } from './pcscErrors.js';
import { PcscContext } from './pcscContext.js';
import { cardEventCount, isCardPresent, isCardUsable, type PcscReaderStatus } from './pcscState.js';

/** 256 data bytes + SW1 SW2: the longest short response APDU. */
export const PCSC_RECEIVE_BUFFER = 258;

export interface PcscAdapterOptions {
  /** How long to wait for the reader to show up, ms (default 3000). */
  readerTimeoutMs?: number;
  /**
   * After an exchange breaks off, how long to wait for pcscd to report the card gone before
   * calling it a plain I/O failure, ms (default 1000; pcscd polls presence about every 400 ms).
   */
  removalConfirmMs?: number;
  /** A context shared with other adapters; the adapter then leaves it open on close(). */
  context?: PcscContext;
}

export class PcscAdapter implements CardTransport {
  /** The full PC/SC reader name. */
  readonly name: string;
  readonly #context: PcscContext;
  readonly #ownsContext: boolean;
  readonly #reader: CardReader;
  readonly #removalConfirmMs: number;
  /** pcsc-lite's card event count when the session opened. */
  #sessionEvents = 0;
  /** Protocol of the open card session, undefined when there is none. */
  #protocol: number | undefined;
  /** The last session ended because the card left; reported until the next powerOn(). */
  #cardLost = false;
  #readerGone = false;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(context: PcscContext, ownsContext: boolean, name: string, removalConfirmMs: number) {
    this.#context = context;
    this.#removalConfirmMs = removalConfirmMs;
    this.#ownsContext = ownsContext;
    this.name = name;
    this.#reader = context.claimReader(name);
    context.on('readerGone', this.#onReaderGone);
  }

  /**
   * Open the reader named `reader` exactly, or the only one whose name contains it. Throws
   * `TransportError` if pcscd is not running, the name is ambiguous or the reader is already open
   * in the shared `context`; `ReaderGoneError` if no such reader appears within `readerTimeoutMs`.
   */
  static async open(reader: string, options: PcscAdapterOptions = {}): Promise<PcscAdapter> {
    const context = options.context ?? (await PcscContext.open());
    const owns = options.context === undefined;
    try {
      const name = await context.waitForReader(reader, options.readerTimeoutMs ?? 3000);
      return new PcscAdapter(context, owns, name, options.removalConfirmMs ?? 1000);
    } catch (err) {
      if (owns) await context.close();
      throw err;
    }
  }

  /**
   * Wait until a card that answered its reset is in the slot and return its ATR (no session is
   * opened: call `powerOn()`). Throws `CardAbsentError` after `timeoutMs`, `ReaderGoneError` if the
   * reader goes away.
   */
  async waitForCard(timeoutMs: number): Promise<Buffer> {
    this.#assertOpen();
    const status = await this.#context.waitForStatus(
      this.name,
      isCardUsable,
      timeoutMs,
      () => new CardAbsentError(`no card in "${this.name}" after ${timeoutMs} ms`),
    );
    return Buffer.from(status.atr);
  }

  /**
   * Open a session on the card (resetting it if one was open) and return its ATR. Throws
   * `CardAbsentError` if no card is in the slot, `ReaderGoneError` if the reader is gone.
   */
  powerOn(): Promise<Buffer> {
    return this.#serialize(async () => {
      this.#assertOpen();
      const status = this.#context.status(this.name);
      if (status === undefined || !isCardPresent(status)) throw new CardAbsentError(`no card in "${this.name}"`);
      // A reset on the way out drops the old session's security state before the new one starts.
      await this.#endSession(this.#reader.SCARD_RESET_CARD);
      try {
        this.#protocol = await new Promise<number>((resolve, reject) =>
          this.#reader.connect(
            { share_mode: this.#reader.SCARD_SHARE_SHARED, protocol: this.#reader.SCARD_PROTOCOL_T1 },
            (err, protocol) => (err ? reject(err) : resolve(protocol)),
          ),
        );
      } catch (err) {
        throw mapPcscError(err, 'connect', this.name);
      }
      this.#cardLost = false;
      this.#sessionEvents = cardEventCount(status);
      return Buffer.from(this.#context.status(this.name)?.atr ?? status.atr);
    });
  }

  /**
   * Send a command APDU, return `data ‖ SW1 SW2`. Throws `CardRemovedError` if the card left (also
   * on later calls until the next `powerOn()`), `ReaderGoneError` if the reader did,
   * `TransportError` with no open session or on other PC/SC failures.
   */
  transmit(command: Uint8Array): Promise<Buffer> {
    return this.#serialize(async () => {
      this.#assertOpen();
      const protocol = this.#protocol;
      if (protocol === undefined) {
        if (this.#cardLost) throw new CardRemovedError(`card left "${this.name}"; power on again`);
        throw new TransportError(`no card session on "${this.name}": call powerOn() first`);
      }
      try {
        return await new Promise<Buffer>((resolve, reject) =>
          this.#reader.transmit(Buffer.from(command), PCSC_RECEIVE_BUFFER, protocol, (err, response) => {
            if (err) reject(err);
            // vpcd answers an exchange cut by a departing card with zero bytes instead of an
            // error: treat it as the "not transacted" failure it is, so the break is explained.
            else if (response.length < 2) reject(new Error(`empty response from the card (0x${SCARD_E_NOT_TRANSACTED.toString(16)})`));
            else resolve(response);
          }),
        );
      } catch (err) {
        let mapped = mapPcscError(err, 'transmit', this.name);
        if (isCommFailure(err)) mapped = await this.#explainBreak(err, mapped);
        if (mapped instanceof CardRemovedError || mapped instanceof ReaderGoneError) {
          this.#cardLost = mapped instanceof CardRemovedError;
          this.#readerGone ||= mapped instanceof ReaderGoneError;
          await this.#endSession(this.#reader.SCARD_LEAVE_CARD);
        }
        throw mapped;
      }
    });
  }

  /**
   * Whether pcscd last reported a card in the slot (its presence poll runs about every 400 ms).
   * Throws `TransportError` once closed, `ReaderGoneError` if the reader is gone.
   */
  async isPresent(): Promise<boolean> {
    this.#assertOpen();
    const status = this.#context.status(this.name);
    return status !== undefined && isCardPresent(status);
  }

  /** End the card session (unpowering the card) and, unless shared, the PC/SC context. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#context.off('readerGone', this.#onReaderGone);
    // Let an exchange in flight finish rather than pull the handle from under it.
    await this.#queue;
    await this.#endSession(this.#reader.SCARD_UNPOWER_CARD);
    this.#context.releaseReader(this.#reader);
    if (this.#ownsContext) await this.#context.close();
  }

  /**
   * An exchange broke off: `CardRemovedError` if pcscd reports within `removalConfirmMs` that the
   * session's card left, `ReaderGoneError` if the reader went, else `fallback`.
   */
  async #explainBreak(err: unknown, fallback: TransportError): Promise<TransportError> {
    const left = (status: PcscReaderStatus): boolean =>
      !isCardPresent(status) || cardEventCount(status) !== this.#sessionEvents;
    try {
      await this.#context.waitForStatus(this.name, left, this.#removalConfirmMs, () => fallback);
      return new CardRemovedError(`card left "${this.name}" during the exchange`, { cause: err });
    } catch (waitErr) {
      return waitErr instanceof TransportError ? waitErr : fallback;
    }
  }

  readonly #onReaderGone = (name: string): void => {
    if (name === this.name) this.#readerGone = true;
  };

  #assertOpen(): void {
    if (this.#closed) throw new TransportError(`transport "${this.name}" is closed`);
    if (this.#readerGone || this.#context.closed || this.#context.failure !== undefined) {
      throw new ReaderGoneError(`reader "${this.name}" is gone`, { cause: this.#context.failure });
    }
  }

  /** Drop the card handle, if any; a handle pcscd already invalidated is dropped all the same. */
  async #endSession(disposition: number): Promise<void> {
    this.#protocol = undefined;
    if (!this.#reader.connected) return;
    await new Promise<void>((resolve) => this.#reader.disconnect(disposition, () => resolve()));
    // The binding keeps `connected` set when SCardDisconnect fails, and would then skip the next connect.
    this.#reader.connected = false;
  }

  /** One PC/SC operation at a time per slot, so powerOn() never swaps the handle under a transmit. */
  #serialize<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
