/**
 * Upload refusals, typed by cause; each carries a stable `code` the HTTP layer sends. None of
 * them stores anything: a refused batch or key leaves the database as it was.
 */

/** The batch, or one of its records, names a terminal other than the caller. Maps to 403. */
export class WrongTerminalError extends Error {
  override readonly name = 'WrongTerminalError';
  readonly code = 'WRONG_TERMINAL';
  constructor(where: string) {
    super(`${where} names another terminal: a terminal uploads only its own records`);
  }
}

/** The terminal has no upload key yet. Maps to 409. */
export class UploadKeyMissingError extends Error {
  override readonly name = 'UploadKeyMissingError';
  readonly code = 'UPLOAD_KEY_MISSING';
  constructor() {
    super('register an upload key first: PUT /api/v1/terminal/self/upload-key');
  }
}

/** The batch signature does not verify with the terminal's registered key. Maps to 422. */
export class BatchSignatureError extends Error {
  override readonly name = 'BatchSignatureError';
  readonly code = 'BATCH_SIGNATURE_INVALID';
  constructor() {
    super('the batch signature does not verify with the registered upload key');
  }
}

/** A batch id already stored with other content. Maps to 409. */
export class BatchIdReusedError extends Error {
  override readonly name = 'BatchIdReusedError';
  readonly code = 'BATCH_ID_REUSED';
  constructor(readonly batchId: string) {
    super(`batch ${batchId} was already received with other content: send new records under a new batch id`);
  }
}

/** The key proof's signature is wrong or the key is not a usable Ed25519 key. Maps to 422. */
export class UploadKeyProofError extends Error {
  override readonly name = 'UploadKeyProofError';
  readonly code = 'UPLOAD_KEY_PROOF_INVALID';
  constructor() {
    super('the signature does not prove possession of this Ed25519 key');
  }
}

/** The proof's issuedAt is outside the accepted window or older than the registered key's proof. Maps to 422. */
export class UploadKeyProofStaleError extends Error {
  override readonly name = 'UploadKeyProofStaleError';
  readonly code = 'UPLOAD_KEY_PROOF_STALE';
  constructor(reason: string) {
    super(`key proof refused: ${reason}`);
  }
}

/** Another terminal registered this key. Maps to 409. */
export class UploadKeyInUseError extends Error {
  override readonly name = 'UploadKeyInUseError';
  readonly code = 'UPLOAD_KEY_IN_USE';
  constructor() {
    super('this public key is registered to another terminal: generate a key pair per terminal');
  }
}
