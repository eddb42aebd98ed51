/**
 * Errors of the identity flow, refining the terminal's errors by cause with stable reasons.
 */
import { BusinessRuleError, CryptoError } from '../errors.js';

/** Reasons a `BusinessRuleError` of the identity flow carries. */
export const ID_RULE = {
  /** The PIN was refused; `WrongPinError.triesLeft` tries remain (at least 1). */
  PIN_WRONG: 'PIN_WRONG',
  /** The PIN is blocked (no tries left); only RESET RETRY COUNTER with the PUK helps. */
  PIN_BLOCKED: 'PIN_BLOCKED',
  /** The command needs the PIN verified since power-on or SELECT. */
  PIN_REQUIRED: 'PIN_REQUIRED',
  /** The card has no ID application (not a citizen card). */
  ID_APPLICATION_NOT_FOUND: 'ID_APPLICATION_NOT_FOUND',
  /** The ID application is blocked. */
  ID_APPLICATION_BLOCKED: 'ID_APPLICATION_BLOCKED',
} as const;

/** The card refused the PIN and tries remain. */
export class WrongPinError extends BusinessRuleError {
  override readonly name: string = 'WrongPinError';
  /** Tries left, 1 to 15. */
  readonly triesLeft: number;
  constructor(triesLeft: number, options?: { cause?: unknown }) {
    super(ID_RULE.PIN_WRONG, `wrong PIN, ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left`, options);
    this.triesLeft = triesLeft;
  }
}

/** Why a card's certificate or signature did not verify. */
export type IdentityCryptoReason =
  | 'CA_MALFORMED'
  | 'CA_NOT_A_CA'
  | 'CA_NOT_VALID'
  | 'CERT_MALFORMED'
  | 'CERT_NOT_ISSUED_BY_CA'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_EXPIRED'
  | 'CARD_NUMBER_MISMATCH'
  | 'CERT_KEY_UNSUITABLE'
  | 'SIGNATURE_INVALID';

/** A certificate or authentication signature of the ID application did not verify. */
export class IdentityCryptoError extends CryptoError {
  override readonly name: string = 'IdentityCryptoError';
  readonly reason: IdentityCryptoReason;
  constructor(reason: IdentityCryptoReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
