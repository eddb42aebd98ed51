/**
 * The producing side of the BullMQ `clearing` queue, over one Redis connection of its own. Redis
 * is not the system of record, so this side never waits long for it: commands fail at once while
 * Redis is unreachable (no offline queue), `add` waits at most `readyTimeoutMs` for a connection,
 * and whoever calls it leaves the rows in the inbox for the sweeper. The connection reconnects by
 * itself; `onReady` listeners hear every (re)connection, which is when the sweeper runs.
 */
import { EventEmitter } from 'node:events';
import { type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CLEAR_ROWS_JOB, CLEARING_QUEUE, type ClearingJobData, type ClearingJobResult } from './clearingJobs.js';

/** Redis cannot be reached (or the queue's scripts are not loaded yet): nothing was enqueued. */
export class ClearingQueueUnavailableError extends Error {
  override readonly name = 'ClearingQueueUnavailableError';
  readonly code = 'CLEARING_QUEUE_UNAVAILABLE';
}

export interface ClearingQueueOptions {
  /** `redis://host:port` or `rediss://…`. */
  readonly redisUrl: string;
  /** BullMQ key prefix (keys are `PREFIX:clearing:…`); no ':' inside. */
  readonly prefix: string;
  readonly logger: Logger;
  /** Tries per job before it is failed (the sweeper retries failed jobs later), 1..100; default 10. */
  readonly attempts?: number;
  /** Most time `add` waits for a connection, ms; default 2000. */
  readonly readyTimeoutMs?: number;
}

/** What `add` did: a new job, an existing job of that id left as it was, or a failed one retried. */
export type AddOutcome = 'added' | 'exists' | 'retried';

export interface QueueDepth {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
}

/** Backoff between a job's tries: 1 s, 2 s, 4 s … */
const BACKOFF = { type: 'exponential', delay: 1000 } as const;
/** Failed jobs stay a week for inspection; completed ones go at once (their rows say what happened). */
const KEEP_FAILED = { age: 7 * 24 * 3600 } as const;

/** Reconnect quickly and keep trying: clearing resumes as soon as Redis is back. */
export const reconnectDelay = (attempt: number): number => Math.min(100 * attempt, 2000);

export class ClearingQueue {
  readonly redis: Redis;
  readonly prefix: string;
  readonly #logger: Logger;
  readonly #jobOptions: JobsOptions;
  readonly #readyTimeoutMs: number;
  readonly #events = new EventEmitter();
  #queue: Queue<ClearingJobData, ClearingJobResult> | undefined;
  #opening: Promise<Queue<ClearingJobData, ClearingJobResult>> | undefined;
  #started = false;
  #closed = false;
  #down = false;

  constructor(options: ClearingQueueOptions) {
    const attempts = options.attempts ?? 10;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) throw new RangeError('attempts is an integer 1..100');
    if (options.prefix.includes(':') || options.prefix === '') throw new RangeError('the queue prefix is non-empty and has no ":"');
    this.prefix = options.prefix;
    this.#logger = options.logger;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 2000;
    this.#jobOptions = { attempts, backoff: BACKOFF, removeOnComplete: true, removeOnFail: KEEP_FAILED };
    this.redis = new Redis(options.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelay,
      connectionName: `citycard-${options.prefix}-clearing-producer`,
    });
    this.redis.on('error', (err: Error) => {
      // One line per outage, not one per reconnect attempt.
      if (!this.#down) this.#logger.warn({ err: err.message }, 'clearing queue: Redis unreachable; uploads stay in the inbox until it returns');
      this.#down = true;
    });
    this.redis.on('ready', () => {
      if (this.#down) this.#logger.info('clearing queue: Redis is back');
      this.#down = false;
      void this.#open().then(
        () => this.#events.emit('ready'),
        (err: unknown) => this.#logger.warn({ err }, 'clearing queue: could not open the queue'),
      );
    });
  }

  /** Starts connecting (idempotent); until then nothing touches Redis. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.redis.connect().catch(() => undefined); // failures arrive as 'error' events; ioredis keeps retrying
  }

  /** Whether Redis answers right now (connected and the queue opened). */
  get ready(): boolean {
    return this.redis.status === 'ready' && this.#queue !== undefined;
  }

  /** Calls `listener` after every connection and reconnection, once the queue is usable. */
  onReady(listener: () => void): () => void {
    this.#events.on('ready', listener);
    return () => this.#events.off('ready', listener);
  }

  /**
   * Enqueues a job naming inbox rows under `jobId`. When a job of that id is already held, adds
   * nothing; with `retryFinished`, a failed one is retried instead (the sweeper's way back for
   * rows whose job ran out of tries).
   * @throws ClearingQueueUnavailableError when Redis cannot be reached within readyTimeoutMs.
   */
  async add(data: ClearingJobData, jobId: string, options: { retryFinished?: boolean } = {}): Promise<AddOutcome> {
    const queue = await this.#usable();
    try {
      const state = await queue.getJobState(jobId);
      if (state === 'unknown') {
        // A concurrent add of the same id between the two calls is still one job: BullMQ keeps the first.
        await queue.add(CLEAR_ROWS_JOB, data, { ...this.#jobOptions, jobId });
        return 'added';
      }
      if (options.retryFinished === true && (state === 'failed' || state === 'completed')) {
        await (await queue.getJob(jobId))?.retry(state);
        return 'retried';
      }
      return 'exists';
    } catch (err) {
      throw this.#unavailable(err);
    }
  }

  /** Jobs by state. @throws ClearingQueueUnavailableError when Redis cannot be reached. */
  async depth(): Promise<QueueDepth> {
    const queue = await this.#usable();
    try {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children');
      return { waiting: (c['waiting'] ?? 0) + (c['prioritized'] ?? 0) + (c['waiting-children'] ?? 0), active: c['active'] ?? 0, delayed: c['delayed'] ?? 0, failed: c['failed'] ?? 0 };
    } catch (err) {
      throw this.#unavailable(err);
    }
  }

  /** The BullMQ queue (for QueueEvents-based progress). @throws ClearingQueueUnavailableError as depth. */
  async queue(): Promise<Queue<ClearingJobData, ClearingJobResult>> {
    return this.#usable();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.removeAllListeners();
    // An opening still in progress is not awaited (it waits for Redis, which may be down): it
    // sees the connection end and closes its queue itself.
    await this.#queue?.close().catch(() => undefined);
    this.redis.disconnect();
  }

  async #usable(): Promise<Queue<ClearingJobData, ClearingJobResult>> {
    if (this.#closed) throw new ClearingQueueUnavailableError('the clearing queue is closed');
    this.start();
    if (this.ready) return this.#queue!;
    // During a known outage fail at once; only a connection still being made is worth waiting for.
    if (this.#down) throw new ClearingQueueUnavailableError('the clearing queue (Redis) cannot be reached');
    if (this.redis.status !== 'ready') await this.#readyWithin(this.#readyTimeoutMs);
    try {
      return await this.#open();
    } catch (err) {
      throw this.#unavailable(err);
    }
  }

  async #readyWithin(ms: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new ClearingQueueUnavailableError(`Redis did not answer within ${ms} ms`));
      }, ms);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  // The queue's first connection loads BullMQ's scripts; if that fails the instance is unusable,
  // so a failed opening is forgotten and the next call opens a fresh one.
  #open(): Promise<Queue<ClearingJobData, ClearingJobResult>> {
    if (this.#queue !== undefined) return Promise.resolve(this.#queue);
    this.#opening ??= (async () => {
      const queue = new Queue<ClearingJobData, ClearingJobResult>(CLEARING_QUEUE, { connection: this.redis, prefix: this.prefix });
      queue.on('error', () => undefined); // the connection's own 'error' listener reports outages
      try {
        await queue.waitUntilReady();
      } catch (err) {
        await queue.close().catch(() => undefined);
        throw err;
      }
      if (this.#closed) {
        await queue.close().catch(() => undefined);
        throw new ClearingQueueUnavailableError('the clearing queue is closed');
      }
      this.#queue = queue;
      return queue;
    })().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  #unavailable(err: unknown): Error {
    if (err instanceof ClearingQueueUnavailableError) return err;
    return new ClearingQueueUnavailableError('the clearing queue (Redis) cannot be reached', { cause: err });
  }
}
