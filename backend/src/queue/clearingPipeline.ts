/**
 * The backend's side of clearing, as the HTTP layer sees it: tell it when an upload batch is
 * stored, ask it for a status snapshot. Workers (clearingWorker.ts) may run in this process or
 * in others; they share the queue through Redis. Without Redis (redisUrl '') nothing is enqueued
 * and the status says so; rows wait in the inbox.
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { ClearingProducer } from './clearingProducer.js';
import { ClearingQueue } from './clearingQueue.js';
import { type ClearingStatus, ClearingStatusReader } from './clearingStatus.js';
import { InboxQueries } from './inboxQueries.js';
import { ThroughputMeter } from './throughputMeter.js';

export interface ClearingPipelineOptions {
  readonly db: Database;
  readonly logger: Logger;
  /** The backend's Redis; '' turns the queue off. */
  readonly redisUrl: string;
  /** BullMQ key prefix; default 'citycard'. */
  readonly prefix?: string;
  /** Rows per job, 1..50,000; default DEFAULT_JOB_ROWS. */
  readonly jobRows?: number;
  /** Longest a stored row waits to be enqueued with later ones, ms; default 200. */
  readonly flushMs?: number;
}

export class ClearingPipeline {
  /** Undefined when Redis is off. */
  readonly queue: ClearingQueue | undefined;
  readonly #producer: ClearingProducer | undefined;
  readonly #status: ClearingStatusReader;

  /** Connects to nothing until the first batch or status call (or start()). */
  constructor(options: ClearingPipelineOptions) {
    const prefix = options.prefix ?? 'citycard';
    if (options.redisUrl === '') {
      this.queue = undefined;
      this.#producer = undefined;
      this.#status = new ClearingStatusReader(options.db);
      return;
    }
    this.queue = new ClearingQueue({ redisUrl: options.redisUrl, prefix, logger: options.logger });
    this.#producer = new ClearingProducer({
      queue: this.queue,
      inbox: new InboxQueries(options.db),
      logger: options.logger,
      ...(options.jobRows === undefined ? {} : { jobRows: options.jobRows }),
      ...(options.flushMs === undefined ? {} : { flushMs: options.flushMs }),
    });
    this.#status = new ClearingStatusReader(options.db, this.queue, new ThroughputMeter(this.queue.redis, prefix));
  }

  /** Starts connecting to Redis now rather than on first use. */
  start(): void {
    this.queue?.start();
  }

  /** Call after an upload batch's transaction committed. Never throws, never waits. */
  batchStored(batchId: string): void {
    this.#producer?.batchStored(batchId);
  }

  /** Enqueues what the producer gathered; resolves when it is sent (or left to the sweeper). */
  async flush(): Promise<void> {
    await this.#producer?.flush();
  }

  status(): Promise<ClearingStatus> {
    return this.#status.read();
  }

  /** Flushes the producer and closes the Redis connection. */
  async close(): Promise<void> {
    await this.flush();
    await this.queue?.close();
  }
}
