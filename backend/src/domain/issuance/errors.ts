/** Issuance refusals, typed by cause; each carries a stable `code` the HTTP layer sends. */

/** No such job. Maps to 404. */
export class IssuanceJobNotFoundError extends Error {
  override readonly name = 'IssuanceJobNotFoundError';
  readonly code = 'ISSUANCE_JOB_NOT_FOUND';
  constructor(readonly jobId: string) {
    super(`issuance job ${jobId} not found`);
  }
}

/** No job belongs to this batch. Maps to 404. */
export class IssuanceBatchNotFoundError extends Error {
  override readonly name = 'IssuanceBatchNotFoundError';
  readonly code = 'ISSUANCE_BATCH_NOT_FOUND';
  constructor(readonly batchId: string) {
    super(`issuance batch ${batchId} not found`);
  }
}

/** A job can be created only for an approved card. Maps to 409. */
export class CardNotApprovedError extends Error {
  override readonly name = 'CardNotApprovedError';
  readonly code = 'CARD_NOT_APPROVED';
  constructor(
    readonly cardId: string,
    readonly state: string,
  ) {
    super(`card ${cardId} is ${state}: only an approved card can be issued`);
  }
}

/** The card already has an issuance job. Maps to 409. */
export class IssuanceJobExistsError extends Error {
  override readonly name = 'IssuanceJobExistsError';
  readonly code = 'ISSUANCE_JOB_EXISTS';
  constructor(
    readonly cardId: string,
    readonly jobId: string,
  ) {
    super(`card ${cardId} already has issuance job ${jobId}`);
  }
}

/**
 * The caller does not hold the job's claim: wrong token, the lease ran out and another station
 * took it, or the job is not claimed at all. Maps to 409.
 */
export class JobNotClaimedError extends Error {
  override readonly name = 'JobNotClaimedError';
  readonly code = 'JOB_NOT_CLAIMED';
  constructor(
    readonly jobId: string,
    readonly state: string,
  ) {
    super(`issuance job ${jobId} is ${state} and not claimed by this caller`);
  }
}

/** The station's report does not fit the job (card number, certificate, CSN in use). Maps to 422. */
export class IssuanceReportError extends Error {
  override readonly name = 'IssuanceReportError';
  readonly code = 'ISSUANCE_REPORT_INVALID';
}

/** The cardholder data cannot go on a card (e.g. no identity number). Maps to 422. */
export class IssuanceDataError extends Error {
  override readonly name = 'IssuanceDataError';
  readonly code = 'ISSUANCE_DATA_INVALID';
}

/** Only a failed job can be put back in the queue. Maps to 409. */
export class JobNotFailedError extends Error {
  override readonly name = 'JobNotFailedError';
  readonly code = 'JOB_NOT_FAILED';
  constructor(
    readonly jobId: string,
    readonly state: string,
  ) {
    super(`issuance job ${jobId} is ${state}: only a failed job can be queued again`);
  }
}
