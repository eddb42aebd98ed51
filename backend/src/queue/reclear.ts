/**
 * Re-clearing a period: every inbox row received in [from, to), whatever its status, goes back on
 * the queue in jobs of `jobRows` rows with scope 'all'. Clearing is idempotent, so rows already
 * cleared stay as they were and rows still waiting (or whose jobs were lost) are cleared now.
 * Progress comes from the queue's event stream, subscribed before the first job is added.
 */
import { randomUUID } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import type { Database } from 'better-sqlite3';
import { CLEARING_QUEUE, DEFAULT_JOB_ROWS, rangesOf, spanOf } from './clearingJobs.js';
import { chunkRanges } from './clearingProducer.js';
import { type ClearingQueue, reconnectDelay } from './clearingQueue.js';
import { InboxQueries } from './inboxQueries.js';
import type { ReclearCounts } from './reclearProgress.js';

/** `from` is not before `to`, or one is not an ISO-8601 time. */
export class ReclearPeriodError extends Error {
  override readonly name = 'ReclearPeriodError';
  readonly code = 'RECLEAR_PERIOD';
}

export interface ReclearOptions {
  readonly db: Database;
  readonly queue: ClearingQueue;
  readonly redisUrl: string;
  /** Inclusive start, ISO-8601. */
  readonly from: string;
  /** Exclusive end, ISO-8601. */
  readonly to: string;
  /** Rows per job; default DEFAULT_JOB_ROWS. */
  readonly jobRows?: number;
  /** Wait for the jobs to finish (default true); false returns once they are enqueued. */
  readonly wait?: boolean;
  readonly onProgress?: (counts: ReclearCounts) => void;
}

const PAGE = 100_000;

/** Normalizes to toISOString form (what received_at holds). @throws ReclearPeriodError */
function isoOf(value: string, what: string): string {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(value) || Number.isNaN(ms)) throw new ReclearPeriodError(`${what} is not an ISO-8601 time: ${value}`);
  return new Date(ms).toISOString();
}

/**
 * Enqueues the period and, unless `wait` is false, resolves when every job completed or failed.
 * @throws ReclearPeriodError; ClearingQueueUnavailableError when Redis cannot be reached.
 */
export async function reclearPeriod(options: ReclearOptions): Promise<ReclearCounts> {
  const from = isoOf(options.from, '--from');
  const to = isoOf(options.to, '--to');
  if (from >= to) throw new ReclearPeriodError(`--from ${from} is not before --to ${to}`);
  const inbox = new InboxQueries(options.db);
  const ids: number[] = [];
  for (let after = 0; ;) {
    const page = inbox.receivedBetween(from, to, after, PAGE);
    ids.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!;
  }
  const chunks = chunkRanges(rangesOf(ids), options.jobRows ?? DEFAULT_JOB_ROWS);
  const run = randomUUID().slice(0, 8);
  // Chunks come from the ids' own ranges, so a chunk's span is its row count.
  const rowsOf = new Map<string, number>(chunks.map((c, i) => [`reclear-${run}-${i}`, spanOf(c)]));
  const counts = { rows: ids.length, rowsDone: 0, jobs: chunks.length, jobsDone: 0, jobsFailed: 0 };
  const report = (): void => options.onProgress?.({ ...counts });
  report();
  if (chunks.length === 0) return counts;

  const wait = options.wait ?? true;
  const events = wait
    ? new QueueEvents(CLEARING_QUEUE, { connection: { url: options.redisUrl, retryStrategy: reconnectDelay }, prefix: options.queue.prefix })
    : undefined;
  try {
    let settle: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const finish = (jobId: string, failed: boolean): void => {
      const rows = rowsOf.get(jobId);
      if (rows === undefined) return;
      rowsOf.delete(jobId);
      counts.rowsDone += failed ? 0 : rows;
      counts.jobsDone += 1;
      if (failed) counts.jobsFailed += 1;
      report();
      if (rowsOf.size === 0) settle();
    };
    if (events !== undefined) {
      events.on('error', () => undefined); // reconnects by itself; progress resumes with it
      events.on('completed', ({ jobId }) => finish(jobId, false));
      events.on('failed', ({ jobId }) => finish(jobId, true));
      await events.waitUntilReady();
    }
    for (const [i, chunk] of chunks.entries()) {
      await options.queue.add({ ranges: chunk, scope: 'all' }, `reclear-${run}-${i}`);
    }
    if (events !== undefined) await finished;
    return counts;
  } finally {
    await events?.close();
  }
}
