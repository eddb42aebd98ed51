/**
 * The SQL the clearing pipeline reads the upload inbox with (migration 060): which rows a batch
 * stored, the rows a job names, what the sweeper and a re-clear pick up, and the backlog by
 * status. Read-only: clearing advances the rows.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { InboxRecord } from '../data/uploadInboxRepository.js';
import { type IdRange, type JobScope, rangesOf } from './clearingJobs.js';

interface InboxRow {
  id: number;
  batch_id: string;
  position: number;
  kind: 'purchase' | 'load';
  card_number: string;
  counter: number;
  terminal_number: string;
  ttsn: number | null;
  amount: number;
  record_digest: string;
  record: string;
  conflict_of: number | null;
  status: string;
  status_at: string;
  received_at: string;
}

const toInbox = (r: InboxRow): InboxRecord => ({
  id: r.id,
  batchId: r.batch_id,
  position: r.position,
  kind: r.kind,
  cardNumber: r.card_number,
  counter: r.counter,
  terminalNumber: r.terminal_number,
  ttsn: r.ttsn,
  amount: r.amount,
  recordDigest: r.record_digest,
  record: r.record,
  conflictOf: r.conflict_of,
  status: r.status,
  statusAt: r.status_at,
  receivedAt: r.received_at,
});

/** The status rows start in and clearing moves them out of. */
export const RECEIVED = 'received';

export class InboxQueries {
  readonly #batchSpan: Statement<[string], { first: number | null; last: number | null; n: number }>;
  readonly #batchIds: Statement<[string], { id: number }>;
  readonly #receivedIn: Statement<[number, number], InboxRow>;
  readonly #allIn: Statement<[number, number], InboxRow>;
  readonly #stale: Statement<[number, string, number], { id: number }>;
  readonly #period: Statement<[number, string, string, number], { id: number }>;
  readonly #byStatus: Statement<[], { status: string; n: number }>;
  readonly #oldest: Statement<[], { received_at: string }>;

  constructor(db: Database) {
    this.#batchSpan = db.prepare('SELECT MIN(id) AS first, MAX(id) AS last, COUNT(*) AS n FROM upload_inbox WHERE batch_id = ?');
    this.#batchIds = db.prepare('SELECT id FROM upload_inbox WHERE batch_id = ? ORDER BY id');
    this.#receivedIn = db.prepare(`SELECT * FROM upload_inbox WHERE id BETWEEN ? AND ? AND status = '${RECEIVED}' ORDER BY id`);
    this.#allIn = db.prepare('SELECT * FROM upload_inbox WHERE id BETWEEN ? AND ? ORDER BY id');
    // The (status, id) index serves these two; received_at is filtered on the few rows still waiting.
    this.#stale = db.prepare(`SELECT id FROM upload_inbox WHERE status = '${RECEIVED}' AND id > ? AND received_at <= ? ORDER BY id LIMIT ?`);
    this.#oldest = db.prepare(`SELECT received_at FROM upload_inbox WHERE status = '${RECEIVED}' ORDER BY id LIMIT 1`);
    this.#period = db.prepare('SELECT id FROM upload_inbox WHERE id > ? AND received_at >= ? AND received_at < ? ORDER BY id LIMIT ?');
    this.#byStatus = db.prepare('SELECT status, COUNT(*) AS n FROM upload_inbox GROUP BY status ORDER BY status');
  }

  /** The ids one stored batch holds, as ranges (one range unless rows were skipped); [] for an unknown batch. */
  batchRanges(batchId: string): IdRange[] {
    const span = this.#batchSpan.get(batchId);
    if (span === undefined || span.first === null || span.last === null) return [];
    if (span.last - span.first + 1 === span.n) return [[span.first, span.last]];
    return rangesOf(this.#batchIds.all(batchId).map((r) => r.id));
  }

  /** The rows in the ranges, by id; only rows still 'received' unless `scope` is 'all'. */
  rowsIn(ranges: readonly IdRange[], scope: JobScope = 'received'): InboxRecord[] {
    const statement = scope === 'all' ? this.#allIn : this.#receivedIn;
    return ranges.flatMap(([first, last]) => statement.all(first, last).map(toInbox));
  }

  /** Ids of rows still 'received' that arrived at or before `cutoff` (ISO-8601), after `afterId`, at most `limit`. */
  receivedUpTo(cutoff: string, afterId: number, limit: number): number[] {
    return this.#stale.all(afterId, cutoff, limit).map((r) => r.id);
  }

  /** Ids of rows received in [from, to) (ISO-8601, any status), after `afterId`, at most `limit`. */
  receivedBetween(from: string, to: string, afterId: number, limit: number): number[] {
    return this.#period.all(afterId, from, to, limit).map((r) => r.id);
  }

  /** Row counts per status, statuses in name order. */
  countsByStatus(): Record<string, number> {
    return Object.fromEntries(this.#byStatus.all().map((r) => [r.status, r.n]));
  }

  /** When the oldest row still 'received' arrived; undefined when none waits. */
  oldestReceivedAt(): string | undefined {
    return this.#oldest.get()?.received_at;
  }
}
