/** Issuance jobs: what the personalization station claims, works on and reports (backend/src/domain/issuance/issuanceJobs.ts). */

export const JOB_STATES = ['queued', 'claimed', 'done', 'failed'] as const;
/** queued -> claimed -> done | queued (retryable failure, lease expired) | failed (attempts exhausted). */
export type JobState = (typeof JOB_STATES)[number];

/**
 * The data the station writes to the card, shaped as terminal-agent's `CardOrder`
 * (JSON: dates YYYYMMDD, amounts in fen).
 */
export interface IssuanceOrder {
  readonly cardInfo: {
    /** 16 digits. */
    readonly cardNumber: string;
    readonly effectiveDate: string;
    readonly expiryDate: string;
    /** 0 adult, 1 student, 2 senior, 3 concession, 4 floating population. */
    readonly cardType: 0 | 1 | 2 | 3 | 4;
    /** 16 hex digits. */
    readonly issuerId: string;
  };
  readonly cardholder: {
    readonly name: string;
    readonly citizenId: string;
    readonly dateOfBirth: string;
    readonly residency: 'permanent' | 'temporary';
  };
  readonly purse: { readonly maxBalance: number; readonly maxSinglePurchase: number };
}

/** A job as stored (plain record). Timestamps ISO-8601 UTC. */
export interface IssuanceJob {
  readonly id: string;
  /** Queue order. */
  readonly seq: number;
  readonly cardId: string;
  readonly batchId: string | null;
  readonly cardNumber: string;
  readonly state: JobState;
  /** null once the job is done (the personal data snapshot is erased). */
  readonly order: IssuanceOrder | null;
  /** Claims so far. */
  readonly attempts: number;
  readonly station: string | null;
  readonly claimToken: string | null;
  readonly leaseUntil: string | null;
  /** `<step>: <cause>` of the last failure. */
  readonly lastError: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What a station gets when it claims a job. */
export interface ClaimedJob {
  readonly jobId: string;
  readonly claimToken: string;
  readonly leaseUntil: string;
  readonly attempt: number;
  readonly order: IssuanceOrder;
}

/** The card's record of its personalization. `csn` and `certificate` are upper-case hex. */
export interface CardPersonalization {
  readonly cardId: string;
  readonly jobId: string;
  readonly cardNumber: string;
  readonly csn: string;
  readonly certificate: string;
  readonly personalizedAt: string;
}

/** Job counts of a batch (or of every job). */
export interface IssuanceProgress {
  readonly total: number;
  readonly queued: number;
  readonly claimed: number;
  readonly done: number;
  readonly failed: number;
  /** Failed attempts that went back to the queue. */
  readonly retries: number;
}
