/**
 * Errors of the terminal's hotlist sync, by cause: the backend could not be asked (network,
 * HTTP status), it answered something the terminal refuses (signature, format, sequence), the
 * local file failed, the stream broke, a wait ran out, or the sync was closed. Each wraps what
 * caused it in `cause`.
 */
import type { HotlistMessageReason } from '@citycard/protocols';

/** Base of every hotlist sync error. */
export class HotlistSyncError extends Error {
  override readonly name: string = 'HotlistSyncError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A request to the backend failed: `status` 0 when it could not be reached or timed out. */
export class HotlistFetchError extends HotlistSyncError {
  override readonly name: string = 'HotlistFetchError';
  /** HTTP status, or 0 for no answer. */
  readonly status: number;
  /** The backend's error code (`UNAUTHENTICATED`, `REALTIME_UNAVAILABLE`, …) when it sent one. */
  readonly code: string | undefined;
  constructor(message: string, status: number, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

/**
 * A hotlist message the terminal refuses; its list is unchanged. `SIGNATURE_INVALID` covers a
 * corrupted signature and a message signed by a key that is not trusted (Ed25519 carries no key
 * id, so the two cannot be told apart). `BASE_VERSION_MISMATCH`: a delta starting after the local
 * version; `VERSION_REGRESSION`: a snapshot older than the local list.
 */
export class HotlistRejectedError extends HotlistSyncError {
  override readonly name: string = 'HotlistRejectedError';
  readonly reason: HotlistMessageReason;
  constructor(reason: HotlistMessageReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** The local hotlist file could not be read or written (the in-memory list is unchanged). */
export class HotlistStoreError extends HotlistSyncError {
  override readonly name: string = 'HotlistStoreError';
}

/** The server-sent-events stream ended, went silent, or sent a frame that cannot be read. */
export class HotlistStreamError extends HotlistSyncError {
  override readonly name: string = 'HotlistStreamError';
}

/** `waitFor` / `waitForVersion` ran out of time. */
export class HotlistWaitTimeoutError extends HotlistSyncError {
  override readonly name: string = 'HotlistWaitTimeoutError';
}

/** The sync was closed: no more requests, and nothing more is written to its file. */
export class HotlistClosedError extends HotlistSyncError {
  override readonly name: string = 'HotlistClosedError';
}
