/**
 * The backend's issuance queue as the station sees it (backend/src/domain/issuance/issuanceJobs.ts): claim the oldest job,
 * report it done or failed. `HttpIssuanceQueue` talks to the backend; tests may supply their own.
 */
import type { CardOrder } from '../personalization/personalizeCard.js';

/** A job the station holds: what goes on the card and the token that proves the claim. */
export interface ClaimedIssuanceJob {
  readonly jobId: string;
  readonly claimToken: string;
  /** ISO-8601 UTC; after it the backend may give the job to another station. */
  readonly leaseUntil: string;
  /** 1 for the first claim of the job. */
  readonly attempt: number;
  readonly order: CardOrder;
}

/** What a station reports for a personalized card. */
export interface IssuanceSuccess {
  readonly cardNumber: string;
  /** 8 bytes. */
  readonly csn: Uint8Array;
  /** DER. */
  readonly certificate: Uint8Array;
}

/** What a station reports for a card it could not finish. Never a key, PIN or personal data. */
export interface IssuanceFailure {
  readonly step: string;
  /** 1-300 characters. */
  readonly reason: string;
  /** false: retrying cannot help (the job fails for good). */
  readonly retryable: boolean;
}

export interface IssuanceQueue {
  /** The oldest claimable job, now held by this station; undefined when none is queued. */
  claim(): Promise<ClaimedIssuanceJob | undefined>;
  /** The card is personalized; the backend registers it. Safe to repeat after a lost answer. */
  complete(job: ClaimedIssuanceJob, result: IssuanceSuccess): Promise<void>;
  /** The card failed; the job goes back to the queue (or fails for good). */
  fail(job: ClaimedIssuanceJob, failure: IssuanceFailure): Promise<void>;
}

/** The backend refused or could not be reached. `status` 0 when no answer came. */
export class IssuanceQueueError extends Error {
  override readonly name = 'IssuanceQueueError';
  constructor(
    message: string,
    readonly status: number,
    /** The backend's stable error code, when it sent one. */
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
