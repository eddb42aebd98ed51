/**
 * The port through which a terminal talks to one card slot. Adapters: `PcscAdapter` (a reader of
 * the PC/SC stack) and `InProcessAdapter` (a `SmartCard` object in the same process). Everything
 * above this interface is the same code in tests and in the field.
 */
export interface CardTransport {
  /** Human-readable slot name (the PC/SC reader name for the PC/SC adapter). */
  readonly name: string;
  /** Connect to (or reset) the card and return its ATR. Throws `CardAbsentError` if no card is present. */
  powerOn(): Promise<Buffer>;
  /**
   * Send one command APDU, return the response APDU (`data ‖ SW1 SW2`). Throws `CardRemovedError`
   * if the card went away, `TransportError` for other I/O failures.
   */
  transmit(command: Uint8Array): Promise<Buffer>;
  /** Whether a card is in the slot now. */
  isPresent(): Promise<boolean>;
  /** Release the card and the reader. Idempotent. */
  close(): Promise<void>;
}
