/**
 * Batch issuance at one station: wait for a blank card, claim a job, personalize the card,
 * report; repeat until `count` cards are done, the queue is empty, no blank card comes, or
 * failures in a row show the station itself is broken (a reader or HSM fault would otherwise
 * burn every job's attempts).
 *
 * The next card is in the reader before the next job is claimed: a claim is a lease, and an
 * operator who fetches cards slowly must not let it run out while the station holds the job
 * (another station would claim it, and two cards would carry one card number).
 */
import type { StationCustodian } from '../personalization/personalizationSession.js';
import type { CardTransport } from '../transport/cardTransport.js';
import { type IssueCardOptions, type IssuanceOutcome, describeFailure, issueCard } from './issueCard.js';
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
  /**
   * Called before every claim with the progress so far (all zero before the first card):
   * resolves once a blank card is in the reader (the operator swapped it, a feeder fed one).
   * When it throws, the batch stops with `no-blank-card`, holding no job.
   */
  readonly nextCard?: (progress: BatchProgress) => Promise<void>;
  /** The blank card in the reader for this claimed job (insert, or re-blank a virtual card). */
  readonly blankCard: (job: ClaimedIssuanceJob) => Promise<CardTransport>;
  /** Stop after this many failed cards in a row, 1 or more; default 3. */
  readonly maxConsecutiveFailures?: number;
  readonly onOutcome?: (outcome: IssuanceOutcome, progress: BatchProgress) => void;
}

export interface BatchResult extends BatchProgress {
  /** Why the batch ended. */
  readonly stopped: 'count-reached' | 'queue-empty' | 'too-many-failures' | 'no-blank-card';
  /** What `nextCard` threw, with `no-blank-card` only. */
  readonly cause?: unknown;
}

/**
 * Runs the batch. Throws what `queue.claim` throws, and what `blankCard` throws after telling the
 * backend (the job goes back to the queue at once); card and report failures are counted, not
 * thrown.
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
  const progress = (): BatchProgress => ({ count: options.count, done, failed, unreported });
  while (done < options.count) {
    if (options.nextCard !== undefined) {
      try {
        await options.nextCard(progress());
      } catch (cause) {
        return { ...progress(), stopped: 'no-blank-card', cause };
      }
    }
    const job = await options.queue.claim();
    if (job === undefined) return { ...progress(), stopped: 'queue-empty' };
    const transport = await withJobReleasedOnError(options.queue, job, () => options.blankCard(job));
    const outcome = await issueCard(options.queue, job, transport, options.custodian, options);
    if (outcome.kind === 'done') {
      done++;
      inARow = 0;
    } else {
      if (outcome.kind === 'failed') failed++;
      else unreported++;
      inARow++;
    }
    options.onOutcome?.(outcome, progress());
    if (inARow >= maxFailures) return { ...progress(), stopped: 'too-many-failures' };
  }
  return { ...progress(), stopped: 'count-reached' };
}

/** Runs `get`; if it throws, reports the job failed (best effort) so it is queued again now, then rethrows. */
async function withJobReleasedOnError<T>(queue: IssuanceQueue, job: ClaimedIssuanceJob, get: () => Promise<T>): Promise<T> {
  try {
    return await get();
  } catch (err) {
    // Without the report the job would wait for its lease to run out.
    await queue.fail(job, { ...describeFailure(err), step: 'getting a blank card' }).catch(() => undefined);
    throw err;
  }
}
