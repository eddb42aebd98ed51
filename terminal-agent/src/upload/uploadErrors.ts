/**
 * Upload failures by cause: the backend refused for a reason a retry will not fix (rejected), or
 * could not be reached or answered (unavailable: retried with backoff), or the terminal's key
 * file is unusable.
 */

/** The backend refused a batch or key with a permanent 4xx reason; nothing was stored. */
export class UploadRejectedError extends Error {
  override readonly name = 'UploadRejectedError';
  /** HTTP status, e.g. 403, 409, 422. */
  readonly status: number;
  /** The backend's error code, e.g. `UPLOAD_KEY_MISSING`, `BATCH_SIGNATURE_INVALID`; `HTTP_<status>` without one. */
  readonly code: string;
  /** The refused batch, when a batch was refused. */
  readonly batchId: string | undefined;
  constructor(message: string, status: number, code: string, batchId?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.batchId = batchId;
  }
}

/** The backend was unreachable, timed out, or answered 408, 429, 5xx or a malformed ack: try again later. */
export class UploadUnavailableError extends Error {
  override readonly name = 'UploadUnavailableError';
  /** HTTP status, or 0 when no answer came. */
  readonly status: number;
  /** Retry-After of a 429 or 503, in ms, when the backend sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, status: number, retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The upload key file cannot be read, is not an Ed25519 private key, or others may read it. */
export class UploadKeyFileError extends Error {
  override readonly name = 'UploadKeyFileError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
