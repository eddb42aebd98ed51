/**
 * What operations see of clearing: queue depth and throughput (from Redis, when it answers), and
 * the inbox backlog, records cleared and exceptions (from SQLite, always). One snapshot feeds both
 * GET /api/v1/clearing/status (JSON) and GET /metrics (Prometheus text, see prometheusText.ts).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { ClearingQueue, QueueDepth } from './clearingQueue.js';
import { InboxQueries, RECEIVED } from './inboxQueries.js';
import type { ThroughputMeter } from './throughputMeter.js';

export interface ExceptionCount {
  readonly kind: string;
  readonly status: string;
  readonly count: number;
}

export interface ClearingStatus {
  /** 'off' when the backend runs without Redis (nothing is enqueued then). */
  readonly redis: 'up' | 'down' | 'off';
  /** Jobs by state; null unless Redis is up. */
  readonly queue: QueueDepth | null;
  /** Records cleared per second over the last minute, all workers; null unless Redis is up. */
  readonly recordsPerSecond: number | null;
  /** Inbox rows clearing has finished with (any status but 'received'). */
  readonly recordsClearedTotal: number;
  /** Inbox rows by status. */
  readonly inbox: Readonly<Record<string, number>>;
  /** When the oldest row still 'received' arrived; null when none waits. */
  readonly oldestReceivedAt: string | null;
  /** Clearing exceptions by kind and status. */
  readonly exceptions: readonly ExceptionCount[];
}

/** Clearing's exception table (migration 071); counted only once it exists. */
export const EXCEPTIONS_TABLE = 'clearing_exceptions';

export class ClearingStatusReader {
  readonly #db: Database;
  readonly #inbox: InboxQueries;
  readonly #queue: ClearingQueue | undefined;
  readonly #meter: ThroughputMeter | undefined;
  #exceptions: Statement<[], ExceptionCount> | undefined;

  constructor(db: Database, queue?: ClearingQueue, meter?: ThroughputMeter) {
    this.#db = db;
    this.#inbox = new InboxQueries(db);
    this.#queue = queue;
    this.#meter = meter;
  }

  /** A snapshot; Redis being down shows as `redis: 'down'`, never as a throw. */
  async read(): Promise<ClearingStatus> {
    let redis: ClearingStatus['redis'] = 'off';
    let queue: QueueDepth | null = null;
    let recordsPerSecond: number | null = null;
    if (this.#queue !== undefined) {
      try {
        queue = await this.#queue.depth();
        recordsPerSecond = (await this.#meter?.perSecond()) ?? null;
        redis = 'up';
      } catch {
        redis = 'down';
        queue = null;
        recordsPerSecond = null;
      }
    }
    const inbox = this.#inbox.countsByStatus();
    const recordsClearedTotal = Object.entries(inbox).reduce((n, [status, count]) => (status === RECEIVED ? n : n + count), 0);
    return {
      redis,
      queue,
      recordsPerSecond,
      recordsClearedTotal,
      inbox,
      oldestReceivedAt: this.#inbox.oldestReceivedAt() ?? null,
      exceptions: this.#exceptionCounts(),
    };
  }

  #exceptionCounts(): ExceptionCount[] {
    if (this.#exceptions === undefined) {
      const exists = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(EXCEPTIONS_TABLE);
      if (exists === undefined) return [];
      this.#exceptions = this.#db.prepare(`SELECT kind, status, COUNT(*) AS count FROM ${EXCEPTIONS_TABLE} GROUP BY kind, status ORDER BY kind, status`);
    }
    return this.#exceptions.all();
  }
}
