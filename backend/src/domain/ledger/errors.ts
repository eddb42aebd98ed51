/**
 * Ledger refusals, typed by cause, each with a stable `code`. A refused posting writes nothing:
 * requests are validated and the key is claimed before any line or balance is touched.
 */

/** A posting request out of range or of the wrong shape (amount, fee, card number, time, key). */
export class InvalidPostingError extends Error {
  override readonly name = 'InvalidPostingError';
  readonly code = 'INVALID_POSTING';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`posting ${key}: ${reason}`);
  }
}

/**
 * The idempotency key is already posted with other content (clone, or a caller bug). Nothing
 * was written; the caller records an exception. `fields` names what differs.
 */
export class LedgerConflictError extends Error {
  override readonly name = 'LedgerConflictError';
  readonly code = 'LEDGER_CONFLICT';
  constructor(
    readonly key: string,
    readonly entryId: number,
    readonly fields: readonly string[],
  ) {
    super(`posting ${key} conflicts with entry ${entryId} (differs in ${fields.join(', ')})`);
  }
}

/** The database has no ledger tables (migration 070 not applied), so there is nothing to check. */
export class LedgerMissingError extends Error {
  override readonly name = 'LedgerMissingError';
  readonly code = 'LEDGER_MISSING';
  constructor(options?: ErrorOptions) {
    super('the database has no ledger: start the backend once (migration 070) before checking it', options);
  }
}
