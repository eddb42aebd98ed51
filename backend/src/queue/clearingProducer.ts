/**
 * The fast path from the upload inbox to the clearing queue. After an upload batch's transaction
 * has committed, the route tells the producer the batch id; the producer looks up the rows it
 * stored and, to give workers jobs of a useful size, gathers rows from successive batches for up
 * to `flushMs` or `jobRows` rows before enqueueing. Nothing here can fail an upload: when Redis is
 * down (or the process dies before a flush), the rows are still 'received' in SQLite and the
 * sweeper enqueues them once Redis answers.
 */
import type { Logger } from 'pino';
import { DEFAULT_JOB_ROWS, type IdRange, jobIdOf, mergeRanges, spanOf } from './clearingJobs.js';
import type { ClearingQueue } from './clearingQueue.js';
import type { InboxQueries } from './inboxQueries.js';

export interface ClearingProducerOptions {
  readonly queue: ClearingQueue;
  readonly inbox: InboxQueries;
  readonly logger: Logger;
  /** Rows per job, 1..50,000; default DEFAULT_JOB_ROWS. */
  readonly jobRows?: number;
  /** Longest a stored row waits to be enqueued with later ones, ms; default 200 (at 20,000 rows/s, a full job). */
  readonly flushMs?: number;
}

/** Splits ranges into groups spanning at most `maxIds` ids each, in order. */
export function chunkRanges(ranges: readonly IdRange[], maxIds: number): IdRange[][] {
  const chunks: IdRange[][] = [];
  let current: IdRange[] = [];
  let size = 0;
  for (const [first, last] of ranges) {
    let from = first;
    while (from <= last) {
      const take = Math.min(last - from + 1, maxIds - size);
      current.push([from, from + take - 1]);
      size += take;
      from += take;
      if (size === maxIds) {
        chunks.push(current);
        current = [];
        size = 0;
      }
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export class ClearingProducer {
  readonly #queue: ClearingQueue;
  readonly #inbox: InboxQueries;
  readonly #logger: Logger;
  readonly #jobRows: number;
  readonly #flushMs: number;
  #pending: IdRange[] = [];
  #pendingRows = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: ClearingProducerOptions) {
    const jobRows = options.jobRows ?? DEFAULT_JOB_ROWS;
    if (!Number.isInteger(jobRows) || jobRows < 1 || jobRows > 50_000) throw new RangeError('jobRows is an integer 1..50000');
    this.#queue = options.queue;
    this.#inbox = options.inbox;
    this.#logger = options.logger;
    this.#jobRows = jobRows;
    this.#flushMs = options.flushMs ?? 200;
  }

  /**
   * Call after the batch's transaction committed. Never throws and never waits: enqueueing
   * happens later, and a failure only leaves the rows to the sweeper.
   */
  batchStored(batchId: string): void {
    let ranges: IdRange[];
    try {
      ranges = this.#inbox.batchRanges(batchId);
    } catch (err) {
      this.#logger.warn({ err, batchId }, 'clearing producer: could not read the batch rows; the sweeper will enqueue them');
      return;
    }
    this.rowsStored(ranges);
  }

  /** Queues rows by id (already committed) for the next flush. Never throws. */
  rowsStored(ranges: readonly IdRange[]): void {
    if (ranges.length === 0) return;
    this.#pending.push(...ranges);
    this.#pendingRows += spanOf(ranges);
    if (this.#pendingRows >= this.#jobRows) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs).unref();
  }

  /** Enqueues everything gathered so far; resolves when every enqueue so far has settled. Never rejects. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length > 0) {
      const ranges = mergeRanges(this.#pending);
      this.#pending = [];
      this.#pendingRows = 0;
      const sending = this.#send(ranges);
      this.#inFlight.add(sending);
      void sending.finally(() => this.#inFlight.delete(sending));
    }
    await Promise.all([...this.#inFlight]);
  }

  async #send(ranges: readonly IdRange[]): Promise<void> {
    for (const chunk of chunkRanges(ranges, this.#jobRows)) {
      try {
        await this.#queue.add({ ranges: chunk }, jobIdOf('rows', chunk));
      } catch (err) {
        // Expected while Redis is down: the rows wait in the inbox for the sweeper.
        this.#logger.debug({ err, first: chunk[0]?.[0] }, 'clearing producer: not enqueued; left to the sweeper');
      }
    }
  }
}
