/**
 * Terminal-side errors by cause (house style §8): transport I/O, card protocol, business rule,
 * crypto. Each wraps what caused it in `cause`.
 */
import { swMessage } from '@citycard/protocols';

/** I/O with the reader or the card failed. */
export class TransportError extends Error {
  override readonly name: string = 'TransportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No card is in the slot. */
export class CardAbsentError extends TransportError {
  override readonly name: string = 'CardAbsentError';
}

/** The card left the slot during an exchange: the outcome of the last command is unknown. */
export class CardRemovedError extends TransportError {
  override readonly name: string = 'CardRemovedError';
}

/** The reader itself disappeared (unplugged, driver gone). */
export class ReaderGoneError extends TransportError {
  override readonly name: string = 'ReaderGoneError';
}

/** The card answered with a status word the command family does not expect, or malformed data. */
export class CardProtocolError extends Error {
  override readonly name: string = 'CardProtocolError';
  /** The status word, when the failure is one. */
  readonly sw: number | undefined;
  constructor(message: string, sw?: number, options?: { cause?: unknown }) {
    super(sw === undefined ? message : `${message}: ${swMessage(sw)}`, options);
    this.sw = sw;
  }
}

/** A rule of the business refused the operation (insufficient balance, PIN blocked, card hotlisted). */
export class BusinessRuleError extends Error {
  override readonly name: string = 'BusinessRuleError';
  /** Stable machine-readable reason, e.g. `PIN_BLOCKED`. */
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** A signature, certificate or cryptogram did not verify. */
export class CryptoError extends Error {
  override readonly name: string = 'CryptoError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
