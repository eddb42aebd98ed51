/**
 * What a reader sees of a card: power, reset and APDU exchange. The virtual card implements it;
 * the vpcd adapter (real PC/SC stack) and the terminal's in-process adapter drive it, so the code
 * above the transport is the same in tests and on a kiosk.
 */
export interface SmartCard {
  /** The answer-to-reset; reading it changes nothing (vpcd's "get ATR" control code). */
  readonly atr: Buffer;
  /** Cold reset: clears all volatile security state and returns the ATR. */
  powerOn(): Buffer;
  /** Power off: clears all volatile security state. */
  powerOff(): void;
  /** Warm reset: clears all volatile security state and returns the ATR. */
  reset(): Buffer;
  /**
   * Process one command APDU and return the response APDU (`data ‖ SW1 SW2`). Never throws for
   * malformed input: every command gets a status word.
   */
  transmit(command: Uint8Array): Buffer;
}
