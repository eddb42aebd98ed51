/**
 * Clearing refusals, typed by cause, each with a stable `code`. Any of them leaves the database as
 * it was: they are thrown before the clearing transaction, or roll it back.
 */

/** The HSM did not answer the TAC checks (down, refused the role, broken link). Retry later. */
export class TacVerificationError extends Error {
  override readonly name = 'TacVerificationError';
  readonly code = 'TAC_VERIFICATION_FAILED';
  constructor(what: string, options?: { cause?: unknown }) {
    super(`TAC verification of ${what} failed: nothing was cleared`, options);
  }
}

/** A purchase row's terminal has no merchant, so its money has nowhere to go. */
export class UnknownMerchantError extends Error {
  override readonly name = 'UnknownMerchantError';
  readonly code = 'UNKNOWN_MERCHANT';
  constructor(readonly terminalNumber: string) {
    super(`terminal ${terminalNumber} has no merchant: register it before clearing its purchases`);
  }
}

/**
 * A row's earlier namesake (same natural key, lower id) has no clearing outcome and was not
 * handed in: the classification would depend on arrival order, so nothing is cleared.
 */
export class ClearingOrderError extends Error {
  override readonly name = 'ClearingOrderError';
  readonly code = 'CLEARING_ORDER';
  constructor(readonly inboxId: number, readonly earlierId: number) {
    super(`inbox row ${inboxId} cannot be cleared before row ${earlierId} of the same natural key`);
  }
}

/** A fee out of range (integer basis points 0 to 10,000). */
export class InvalidFeeError extends Error {
  override readonly name = 'InvalidFeeError';
  readonly code = 'INVALID_FEE';
  constructor(readonly feeBps: number) {
    super(`a fee is an integer of 0 to 10000 basis points, got ${feeBps}`);
  }
}
