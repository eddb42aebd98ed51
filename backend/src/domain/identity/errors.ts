/**
 * Refusals of identity verification, each with a stable reason the HTTP layer returns as is.
 */

export const IDENTITY_REFUSAL = {
  /** No such nonce: never issued, purged, or not 32 bytes. */
  NONCE_UNKNOWN: 'NONCE_UNKNOWN',
  /** The nonce's time to live passed before it was presented. */
  NONCE_EXPIRED: 'NONCE_EXPIRED',
  /** The nonce was presented before (whatever the outcome then). */
  NONCE_REPLAYED: 'NONCE_REPLAYED',
  /** The nonce was issued to another terminal or service point. */
  NONCE_WRONG_TERMINAL: 'NONCE_WRONG_TERMINAL',
  /** The card is not in state active (blocked, revoked, unknown, …). */
  CARD_NOT_ACTIVE: 'CARD_NOT_ACTIVE',
  /** The card certificate is not a valid city CA certificate for this card number now. */
  CERT_INVALID: 'CERT_INVALID',
  /** The cardholder authentication signature does not verify with the certified key. */
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
} as const;
export type IdentityRefusalReason = (typeof IDENTITY_REFUSAL)[keyof typeof IDENTITY_REFUSAL];

/** Identity verification refused; `reason` is safe to show, `cause` (if any) is not. */
export class IdentityRefusedError extends Error {
  override readonly name = 'IdentityRefusedError';
  readonly reason: IdentityRefusalReason;
  constructor(reason: IdentityRefusalReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** Why an identity assertion was not accepted by a relying service. */
export type AssertionReason = 'MALFORMED' | 'SIGNATURE_INVALID' | 'EXPIRED' | 'WRONG_SERVICE_POINT';

export class IdentityAssertionError extends Error {
  override readonly name = 'IdentityAssertionError';
  readonly reason: AssertionReason;
  constructor(reason: AssertionReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
