/**
 * One card at the station in bureau mode: personalize the blank card for a claimed job through
 * the HSM, then report the outcome to the backend.
 *
 * - success: the CSN and certificate go to the backend, which registers the card; a report whose
 *   answer is lost is sent again (the backend accepts the same report twice);
 * - failure: the job goes back to the queue with the failed step. The card was left blank by the
 *   personalization flow (unless END PERSONALIZATION's answer was lost), so it can be used again.
 *
 * Never throws for a card or backend failure: the outcome says what happened.
 */
import { PersonalizationFailedError } from '../personalization/stationErrors.js';
import { type StationCustodian } from '../personalization/personalizationSession.js';
import { type StationOptions, personalizeCard } from '../personalization/personalizeCard.js';
import type { CardTransport } from '../transport/cardTransport.js';
import { type ClaimedIssuanceJob, type IssuanceFailure, type IssuanceQueue, IssuanceQueueError } from './issuanceQueue.js';

export type IssuanceOutcome =
  | { readonly kind: 'done'; readonly jobId: string; readonly cardNumber: string; readonly csn: Buffer }
  /** The card failed and the backend knows (the job is queued again or failed for good). */
  | {
      readonly kind: 'failed';
      readonly jobId: string;
      /** The number the card was to get (it did not). */
      readonly cardNumber: string;
      readonly failure: IssuanceFailure;
      readonly reportError?: Error;
    }
  /**
   * The card is personalized but the backend could not be told: set the card aside; the job
   * returns to the queue when its lease runs out and the card record never changed.
   */
  | { readonly kind: 'unreported'; readonly jobId: string; readonly cardNumber: string; readonly csn: Buffer; readonly error: Error };

export interface IssueCardOptions extends StationOptions {
  /** Times a completion report is sent when no answer came, 1-10; default 3. */
  readonly reportAttempts?: number;
}

/** Personalize the card on `transport` for `job` and report to `queue`. Never throws (see the module comment). */
export async function issueCard(
  queue: IssuanceQueue,
  job: ClaimedIssuanceJob,
  transport: CardTransport,
  custodian: StationCustodian,
  options: IssueCardOptions = {},
): Promise<IssuanceOutcome> {
  let result;
  try {
    result = await personalizeCard(transport, custodian, job.order, options);
  } catch (err) {
    const failure = describeFailure(err);
    try {
      await queue.fail(job, failure);
      return { kind: 'failed', jobId: job.jobId, cardNumber: job.order.cardInfo.cardNumber, failure };
    } catch (reportError) {
      // The lease running out returns the job to the queue anyway.
      return { kind: 'failed', jobId: job.jobId, cardNumber: job.order.cardInfo.cardNumber, failure, reportError: reportError as Error };
    }
  }
  const attempts = Math.min(Math.max(options.reportAttempts ?? 3, 1), 10);
  let lastError: Error = new Error('not reported');
  for (let i = 0; i < attempts; i++) {
    try {
      await queue.complete(job, { cardNumber: result.cardNumber, csn: result.csn, certificate: result.certificate });
      return { kind: 'done', jobId: job.jobId, cardNumber: result.cardNumber, csn: result.csn };
    } catch (err) {
      lastError = err as Error;
      // A refusal will not change on resending; only a lost answer or a server error is retried.
      if (err instanceof IssuanceQueueError && err.status !== 0 && err.status < 500) break;
    }
  }
  return { kind: 'unreported', jobId: job.jobId, cardNumber: result.cardNumber, csn: result.csn, error: lastError };
}

/** The step and cause of a failure, for the backend: error names and messages, never data. */
export function describeFailure(err: unknown): IssuanceFailure {
  if (err instanceof PersonalizationFailedError) {
    const cause = err.cause;
    // Data that does not encode will not encode on the next try either; the message may quote it.
    if (err.step === 'encoding the card data') {
      return { step: err.step, reason: `${errorName(cause)}: the card data does not encode`, retryable: false };
    }
    return { step: err.step, reason: `${errorName(cause)}: ${errorMessage(cause)}`.slice(0, 300), retryable: true };
  }
  return { step: 'station', reason: `${errorName(err)}: ${errorMessage(err)}`.slice(0, 300), retryable: true };
}

const errorName = (e: unknown): string => (e instanceof Error ? e.name : 'Error');
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 250) || 'unknown';
