/**
 * The part of `@pokusew/pcsclite` 0.6 that the PC/SC adapter uses, typed strictly. The package's
 * own `index.d.ts` types errors as `any` and exports no interface names; this ambient declaration
 * takes precedence over it. Callbacks get `Error` objects whose message ends in the PC/SC code,
 * e.g. `SCardTransmit error: Card was removed.(0x80100069)`.
 */
declare module '@pokusew/pcsclite' {
  import type { EventEmitter } from 'node:events';

  export interface ReaderStatus {
    /** `SCARD_STATE_*` bits. */
    state: number;
    atr?: Buffer;
  }

  export interface ConnectOptions {
    share_mode?: number;
    protocol?: number;
  }

  /** One reader; a native thread watches its state from creation until `close()`. */
  export interface CardReader extends EventEmitter {
    readonly name: string;
    /**
     * Whether the binding holds a card handle. Writable: the binding only clears it when
     * `SCardDisconnect` succeeds, so a handle that pcscd already dropped would otherwise stick.
     */
    connected: boolean;
    readonly SCARD_SHARE_SHARED: number;
    readonly SCARD_PROTOCOL_T1: number;
    readonly SCARD_LEAVE_CARD: number;
    readonly SCARD_RESET_CARD: number;
    readonly SCARD_UNPOWER_CARD: number;
    connect(options: ConnectOptions, callback: (err: Error | null | undefined, protocol: number) => void): void;
    disconnect(disposition: number, callback: (err: Error | null | undefined) => void): void;
    transmit(
      data: Buffer,
      responseLength: number,
      protocol: number,
      callback: (err: Error | null | undefined, response: Buffer) => void,
    ): void;
    /** Stop the state-watching thread (synchronous). */
    close(): void;
    on(event: 'status', listener: (status: ReaderStatus) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }

  /** A PC/SC context; a native thread reports readers appearing and disappearing until `close()`. */
  export interface PCSCLite extends EventEmitter {
    on(event: 'reader', listener: (reader: CardReader) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    /** Stop the reader-watching thread (synchronous). */
    close(): void;
  }

  /**
   * Establish a context. Blocks the thread, retrying for ever, while pcscd is not reachable:
   * check for the service first.
   */
  export default function pcsclite(): PCSCLite;
}
