/**
 * Errors of the terminal's record store, by cause: a store file written by newer software, and
 * intents asked to do what their state or content does not allow. SQLite's own failures (disk
 * full, unreadable file) pass through as better-sqlite3 throws them.
 */

/** The store file's schema version (SQLite `user_version`) is newer than this software knows. */
export class StoreVersionError extends Error {
  override readonly name: string = 'StoreVersionError';
  readonly found: number;
  readonly supported: number;
  constructor(found: number, supported: number) {
    super(`record store schema version ${found} is newer than the supported ${supported}: update the terminal agent`);
    this.found = found;
    this.supported = supported;
  }
}

/** No intent has this id. */
export class IntentNotFoundError extends Error {
  override readonly name: string = 'IntentNotFoundError';
  readonly intentId: number;
  constructor(intentId: number) {
    super(`no purchase intent ${intentId}`);
    this.intentId = intentId;
  }
}

/** The intent was already resolved otherwise: e.g. completing an intent resolved `notCommitted`. */
export class IntentStateError extends Error {
  override readonly name: string = 'IntentStateError';
  readonly intentId: number;
  readonly status: string;
  constructor(intentId: number, status: string, wanted: string) {
    super(`purchase intent ${intentId} is ${status}: cannot resolve it as ${wanted}`);
    this.intentId = intentId;
    this.status = status;
  }
}

/**
 * A record or intent contradicts what the store holds: a record that is not the intent's
 * purchase, another purchase already stored with the intent's (card, offline counter), or a
 * second intent with a used (terminal, TTSN).
 */
export class IntentMismatchError extends Error {
  override readonly name: string = 'IntentMismatchError';
  readonly intentId: number | undefined;
  constructor(message: string, intentId?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.intentId = intentId;
  }
}

/** `markUploaded` named a record id the store does not hold. */
export class RecordNotFoundError extends Error {
  override readonly name: string = 'RecordNotFoundError';
  readonly recordId: number;
  constructor(recordId: number) {
    super(`no stored record ${recordId}`);
    this.recordId = recordId;
  }
}
