/**
 * The consuming side of the `clearing` queue, an entry point like a route: a BullMQ worker that
 * takes a job (inbox row ids), loads the rows from SQLite, and hands them to clearing, which
 * verifies their TACs in one HSM batch and posts them in one transaction. With it runs the
 * sweeper (inboxSweeper.ts).
 *
 * Why nothing is lost or cleared twice: a job's rows are read when it runs, not when it was
 * enqueued, and clearing is idempotent (a row already cleared stays as it is). A worker killed
 * mid-job leaves its transaction uncommitted and its job locked; the lock runs out after
 * `lockMs`, BullMQ's stalled check (every `lockMs`) puts the job back, and another worker (or
 * this one, restarted) runs it again. A job that keeps failing (the HSM is down) is retried with
 * backoff, then by the sweeper.
 */
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { InboxRecord } from '../data/uploadInboxRepository.js';
import type { Clock } from '../domain/staff/clock.js';
import { CLEARING_QUEUE, ClearingJobDataError, type ClearingJobData, type ClearingJobResult, parseJobData } from './clearingJobs.js';
import { ClearingQueue, reconnectDelay } from './clearingQueue.js';
import { InboxQueries } from './inboxQueries.js';
import { InboxSweeper } from './inboxSweeper.js';
import { ThroughputMeter } from './throughputMeter.js';

/** Clears rows (clearInboxRows bound to its dependencies). Idempotent; throws to have the job retried. */
export type ClearRows = (rows: InboxRecord[]) => Promise<unknown>;

export interface ClearingWorkerOptions {
  readonly redisUrl: string;
  /** BullMQ key prefix; the producer's must match. */
  readonly prefix: string;
  /** Open and migrated; the worker only reads the inbox itself, `clear` writes. */
  readonly db: Database;
  readonly clear: ClearRows;
  readonly logger: Logger;
  /** The sweeper's clock (the inbox's received_at is written with the backend's clock). */
  readonly clock: Clock;
  /** Jobs run at once in this process, 1..64; default 2 (one clearing while the next awaits the HSM). */
  readonly concurrency?: number;
  /** Rows per sweeper job, 1..50,000; default DEFAULT_JOB_ROWS. */
  readonly jobRows?: number;
  /** Sweeper grace period, ms; default 60,000. */
  readonly graceMs?: number;
  /** Sweeper interval, ms; default 30,000. */
  readonly sweepIntervalMs?: number;
  /** Job lock, and the stalled-check interval, ms, 1000..600,000; default 30,000. */
  readonly lockMs?: number;
  /** Run the sweeper with this worker (default true); false leaves sweeping to other processes. */
  readonly sweep?: boolean;
  /** The producer's queue, when this process has one; default a queue of the worker's own. */
  readonly queue?: ClearingQueue;
}

export interface ClearingWorker {
  readonly sweeper: InboxSweeper;
  /** Jobs finished by this worker since it started (for tests and logs). */
  readonly completedJobs: () => number;
  /** Stops taking jobs, waits for those running, stops the sweeper and closes its connections. */
  close(): Promise<void>;
}

/**
 * Starts a worker and its sweeper.
 * @throws RangeError for an option out of range.
 */
export function startClearingWorker(options: ClearingWorkerOptions): ClearingWorker {
  const concurrency = options.concurrency ?? 2;
  const lockMs = options.lockMs ?? 30_000;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new RangeError('concurrency is an integer 1..64');
  if (!Number.isInteger(lockMs) || lockMs < 1000 || lockMs > 600_000) throw new RangeError('lockMs is an integer 1000..600000');
  const { logger } = options;
  const ownQueue = options.queue === undefined;
  const queue = options.queue ?? new ClearingQueue({ redisUrl: options.redisUrl, prefix: options.prefix, logger });
  const inbox = new InboxQueries(options.db);
  const meter = new ThroughputMeter(queue.redis, options.prefix);
  let completed = 0;

  const run = async (job: Job<ClearingJobData, ClearingJobResult>): Promise<ClearingJobResult> => {
    let data: ClearingJobData;
    try {
      data = parseJobData(job.data);
    } catch (err) {
      if (err instanceof ClearingJobDataError) throw new UnrecoverableError(err.message);
      throw err;
    }
    const rows = inbox.rowsIn(data.ranges, data.scope);
    if (rows.length === 0) return { rows: 0 };
    await options.clear(rows);
    await meter.add(rows.length).catch(() => undefined);
    return { rows: rows.length };
  };

  let lastWarning = 0;
  const worker = new Worker<ClearingJobData, ClearingJobResult>(CLEARING_QUEUE, run, {
    connection: { url: options.redisUrl, retryStrategy: reconnectDelay, connectionName: `citycard-${options.prefix}-clearing-worker` },
    prefix: options.prefix,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    // A crash loop must not fail a job for good: the sweeper's retry is the backstop anyway.
    maxStalledCount: 10,
  });
  worker.on('error', (err) => {
    // A reconnecting worker errors every few hundred ms: one line a minute is enough.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    logger.warn({ err: err.message }, 'clearing worker: Redis error; retrying');
  });
  // Jobs taken and not yet reported back to Redis: what a graceful close waits for.
  const active = new Set<string>();
  worker.on('active', (job) => {
    if (job.id !== undefined) active.add(job.id);
  });
  worker.on('completed', (job) => {
    completed += 1;
    if (job.id !== undefined) active.delete(job.id);
  });
  worker.on('failed', (job, err) => {
    if (job?.id !== undefined) active.delete(job.id);
    const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
    logger.warn({ err, jobId: job?.id, attempt: job?.attemptsMade }, final ? 'clearing worker: job out of tries; its rows wait for the sweeper' : 'clearing worker: job failed; BullMQ retries it');
  });

  const sweeper = new InboxSweeper({
    queue,
    inbox,
    clock: options.clock,
    logger,
    ...(options.jobRows === undefined ? {} : { jobRows: options.jobRows }),
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(options.sweepIntervalMs === undefined ? {} : { intervalMs: options.sweepIntervalMs }),
  });
  queue.start(); // the throughput counters use its connection, sweeping or not
  if (options.sweep !== false) sweeper.start();

  return {
    sweeper,
    completedJobs: () => completed,
    close: async () => {
      await sweeper.stop();
      // BullMQ's graceful close waits on Redis and never returns while Redis is down, so wait for
      // the jobs in hand ourselves, for at most one lock period, then close without waiting:
      // a job cut off here is run again once its lock runs out (clearing is idempotent).
      await worker.pause(true);
      const deadline = Date.now() + lockMs;
      while (active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await worker.close(true);
      if (ownQueue) await queue.close();
    },
  };
}
