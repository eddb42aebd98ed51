/**
 * Batch issuance at one station: claim a job, get a blank card into the reader, personalize it,
 * report; repeat until `count` cards are done, the queue is empty, or failures in a row show the
 * station itself is broken (a reader or HSM fault would otherwise burn every job's attempts).
 */
import type { StationCustodian } from '../personalization/personalizationSession.js';
import type { CardTransport } from '../transport/cardTransport.js';
import { type IssueCardOptions, type IssuanceOutcome, issueCard } from './issueCard.js';
import type { ClaimedIssuanceJob, IssuanceQueue } from './issuanceQueue.js';

export interface BatchProgress {
  /** Cards wanted. */
  readonly count: number;
  readonly done: number;
  readonly failed: number;
  /** Personalized but not reported (set aside). */
  readonly unreported: number;
}

export interface IssuanceBatchOptions extends IssueCardOptions {
  readonly queue: IssuanceQueue;
  readonly custodian: StationCustodian;
  /** Cards to personalize, 1 or more. */
  readonly count: number;
  /** A blank card in the reader for this job (insert, or re-blank a virtual card). */
  readonly blankCard: (job: ClaimedIssuanceJob) => Promise<CardTransport>;
  /** Stop after this many failed cards in a row, 1 or more; default 3. */
  readonly maxConsecutiveFailures?: number;
  readonly onOutcome?: (outcome: IssuanceOutcome, progress: BatchProgress) => void;
}

export interface BatchResult extends BatchProgress {
  /** Why the batch ended. */
  readonly stopped: 'count-reached' | 'queue-empty' | 'too-many-failures';
}

/**
 * Runs the batch. Throws only what `queue.claim` or `blankCard` throw (the job then returns to
 * the queue when its lease runs out); card and report failures are counted, not thrown.
 * @throws RangeError when count or maxConsecutiveFailures is below 1.
 */
export async function runIssuanceBatch(options: IssuanceBatchOptions): Promise<BatchResult> {
  const maxFailures = options.maxConsecutiveFailures ?? 3;
  if (!Number.isInteger(options.count) || options.count < 1) throw new RangeError('count must be 1 or more');
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError('maxConsecutiveFailures must be 1 or more');
  let done = 0;
  let failed = 0;
  let unreported = 0;
  let inARow = 0;
  while (done < options.count) {
    const job = await options.queue.claim();
    if (job === undefined) return { count: options.count, done, failed, unreported, stopped: 'queue-empty' };
    const transport = await options.blankCard(job);
    const outcome = await issueCard(options.queue, job, transport, options.custodian, options);
    if (outcome.kind === 'done') {
      done++;
      inARow = 0;
    } else {
      if (outcome.kind === 'failed') failed++;
      else unreported++;
      inARow++;
    }
    options.onOutcome?.(outcome, { count: options.count, done, failed, unreported });
    if (inARow >= maxFailures) return { count: options.count, done, failed, unreported, stopped: 'too-many-failures' };
  }
  return { count: options.count, done, failed, unreported, stopped: 'count-reached' };
}
