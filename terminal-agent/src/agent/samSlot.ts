/**
 * The terminal's PSAM as the runners use it: opened once (power on, SELECT, read the terminal
 * number) and kept selected across taps, as a gate does; reopened after a fault. Each tap gets a
 * fresh channel on it, so the APDU trail of a long-running terminal does not grow without bound.
 */
import { ApduChannel } from '../channel/apduChannel.js';
import { CardProtocolError, TransportError } from '../errors.js';
import { openPsamSlot } from '../purse/purchaseOffline.js';
import type { CardSlot, ReaderManager } from '../readers/readerManager.js';
import type { CardTransport } from '../transport/cardTransport.js';
import { toHex } from '@citycard/protocols';

/** What the slot needs of the reader manager. */
export type SamReaders = Pick<ReaderManager, 'samTransport' | 'on' | 'off'>;

export interface SamSlotOptions {
  /** Trail time stamps. */
  readonly clock: () => Date;
  /** Told of a SAM that is there but fails to open; it is tried again. */
  readonly onFault?: (error: Error) => void;
  /** When no SAM insertion is seen, try the SAM again after this long, ms; default 2,000. */
  readonly retryMs?: number;
}

interface OpenSam {
  readonly transport: CardTransport;
  readonly terminal: Buffer;
}

export class SamSlot {
  readonly #readers: SamReaders;
  readonly #options: SamSlotOptions;
  #open: OpenSam | undefined;

  constructor(readers: SamReaders, options: SamSlotOptions) {
    this.#readers = readers;
    this.#options = options;
  }

  /** The terminal number (12 hex digits) while the slot is open. */
  get terminal(): string | undefined {
    return this.#open === undefined ? undefined : toHex(this.#open.terminal);
  }

  /** Whether the slot is open. */
  get isOpen(): boolean {
    return this.#open !== undefined;
  }

  /**
   * Resolves once a SAM is open, waiting for one to be inserted if need be. Rejects with the
   * signal's reason when aborted; other faults go to `onFault` and are retried.
   */
  async ready(signal: AbortSignal): Promise<void> {
    while (this.#open === undefined) {
      signal.throwIfAborted();
      const transport = this.#readers.samTransport();
      if (transport !== undefined) {
        try {
          await transport.powerOn();
          const terminal = await openPsamSlot(new ApduChannel(transport, { clock: this.#options.clock }));
          this.#open = { transport, terminal };
          return;
        } catch (err) {
          if (!(err instanceof TransportError || err instanceof CardProtocolError)) throw err;
          this.#options.onFault?.(err);
        }
      }
      await this.#nextSam(signal);
    }
  }

  /** A fresh channel on the open SAM and its terminal number. Throws `Error` when not open. */
  session(): { readonly psam: ApduChannel; readonly psamTerminal: Buffer } {
    if (this.#open === undefined) throw new Error('the SAM slot is not open');
    return { psam: new ApduChannel(this.#open.transport, { clock: this.#options.clock }), psamTerminal: this.#open.terminal };
  }

  /** Forget the open SAM (after a fault): the next `ready()` opens it again. */
  invalidate(): void {
    this.#open = undefined;
  }

  /** Resolves at the next SAM insertion or after `retryMs`; rejects when aborted. */
  #nextSam(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: unknown): void => {
        clearTimeout(timer);
        this.#readers.off('cardInserted', onCard);
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onCard = (slot: CardSlot): void => {
        if (slot.role === 'sam') finish();
      };
      const onAbort = (): void => finish(signal.reason);
      const timer = setTimeout(() => finish(), this.#options.retryMs ?? 2_000);
      this.#readers.on('cardInserted', onCard);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
  }
}
