/**
 * The sweeper: the slow path that makes Redis optional. It finds inbox rows still 'received'
 * that arrived more than a grace period ago (their fast-path job was lost: Redis was down, the
 * process died before a flush, Redis restarted without its data) and enqueues them again.
 *
 * Job ids are fixed by the rows (clearingJobs.jobIdOf), and rows are grouped by aligned id
 * blocks of `jobRows`, so two sweeps of an unchanged backlog name the same jobs: a job still
 * queued or running is left alone, and one that ran out of tries is retried. Runs every
 * `intervalMs`, and at once when the worker starts and whenever Redis reconnects (see start()).
 */
import type { Logger } from 'pino';
import type { Clock } from '../domain/staff/clock.js';
import { DEFAULT_JOB_ROWS, type IdRange, jobIdOf, rangesOf } from './clearingJobs.js';
import type { AddOutcome, ClearingQueue } from './clearingQueue.js';
import type { InboxQueries } from './inboxQueries.js';

export interface InboxSweeperOptions {
  readonly queue: ClearingQueue;
  readonly inbox: InboxQueries;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Rows per job and the id block size, 1..50,000; default DEFAULT_JOB_ROWS. */
  readonly jobRows?: number;
  /** Age a 'received' row must reach before an interval sweep takes it, ms; default 60,000. */
  readonly graceMs?: number;
  /** Time between sweeps, ms; default 30,000. */
  readonly intervalMs?: number;
}

export interface SweepResult {
  /** Rows found still 'received'. */
  readonly rows: number;
  readonly jobs: number;
  readonly added: number;
  /** Jobs already held (queued or running): left as they were. */
  readonly existing: number;
  /** Failed jobs retried. */
  readonly retried: number;
}

/** Ids read per query, so a huge backlog is swept in pages. */
const PAGE = 50_000;

export class InboxSweeper {
  readonly #queue: ClearingQueue;
  readonly #inbox: InboxQueries;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #jobRows: number;
  readonly #graceMs: number;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #running: Promise<SweepResult> | undefined;
  #next: Promise<SweepResult> | undefined;
  #nextGrace: number | undefined;

  constructor(options: InboxSweeperOptions) {
    this.#queue = options.queue;
    this.#inbox = options.inbox;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#jobRows = options.jobRows ?? DEFAULT_JOB_ROWS;
    this.#graceMs = options.graceMs ?? 60_000;
    this.#intervalMs = options.intervalMs ?? 30_000;
    if (!Number.isInteger(this.#jobRows) || this.#jobRows < 1 || this.#jobRows > 50_000) throw new RangeError('jobRows is an integer 1..50000');
    if (!(this.#graceMs >= 0) || !(this.#intervalMs >= 10)) throw new RangeError('graceMs is ≥ 0 and intervalMs ≥ 10');
  }

  /**
   * Enqueues every row still 'received' that arrived at least `graceMs` ago. One sweep at a time:
   * a call during a sweep runs once more after it (with the smaller grace asked for).
   * @throws ClearingQueueUnavailableError when Redis cannot be reached (rows stay for the next sweep).
   */
  sweep(graceMs: number = this.#graceMs): Promise<SweepResult> {
    if (this.#running !== undefined) {
      this.#nextGrace = Math.min(this.#nextGrace ?? graceMs, graceMs);
      this.#next ??= this.#running
        .catch(() => undefined)
        .then(() => {
          const grace = this.#nextGrace ?? graceMs;
          this.#next = undefined;
          this.#nextGrace = undefined;
          return this.sweep(grace);
        });
      return this.#next;
    }
    const run = this.#sweepOnce(graceMs).finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
    return run;
  }

  /**
   * Sweeps now, every intervalMs, and on every Redis reconnection. The first and the reconnection
   * sweeps take rows of any age when the queue holds no pending job (Redis lost its data, or
   * never had the rows); with jobs pending they wait out the grace period like the others, so a
   * worker starting on a full queue does not enqueue the backlog a second time.
   */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#background(this.#graceMs, 'interval'), this.#intervalMs).unref();
    this.#unsubscribe = this.#queue.onReady(() => this.#afterConnect('redis ready'));
    this.#queue.start();
    if (this.#queue.ready) this.#afterConnect('start');
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#running?.catch(() => undefined);
  }

  #afterConnect(why: string): void {
    this.#queue.depth().then(
      (d) => this.#background(d.waiting + d.active + d.delayed === 0 ? 0 : this.#graceMs, why),
      (err: unknown) => this.#logger.debug({ err, why }, 'clearing sweeper: Redis unreachable; next sweep later'),
    );
  }

  #background(graceMs: number, why: string): void {
    this.sweep(graceMs).then(
      (r) => {
        if (r.added + r.retried > 0) this.#logger.info({ ...r, why }, 'clearing sweeper: enqueued inbox rows');
      },
      (err: unknown) => this.#logger.debug({ err, why }, 'clearing sweeper: Redis unreachable; next sweep later'),
    );
  }

  async #sweepOnce(graceMs: number): Promise<SweepResult> {
    const cutoff = new Date(this.#clock().getTime() - graceMs).toISOString();
    const counts: Record<AddOutcome, number> = { added: 0, exists: 0, retried: 0 };
    let rows = 0;
    let jobs = 0;
    let after = 0;
    let block: number[] = [];
    let blockNo = -1;
    const flush = async (): Promise<void> => {
      if (block.length === 0) return;
      const ranges: IdRange[] = rangesOf(block);
      counts[await this.#queue.add({ ranges }, jobIdOf('sweep', ranges), { retryFinished: true })] += 1;
      jobs += 1;
      block = [];
    };
    for (;;) {
      const ids = this.#inbox.receivedUpTo(cutoff, after, PAGE);
      for (const id of ids) {
        const no = Math.floor(id / this.#jobRows);
        if (no !== blockNo) {
          await flush();
          blockNo = no;
        }
        block.push(id);
      }
      rows += ids.length;
      if (ids.length < PAGE) break;
      after = ids[ids.length - 1]!;
    }
    await flush();
    return { rows, jobs, added: counts.added, existing: counts.exists, retried: counts.retried };
  }
}
