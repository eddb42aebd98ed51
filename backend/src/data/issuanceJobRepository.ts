import type { Database } from 'better-sqlite3';
import type {
  CardPersonalization,
  IssuanceJob,
  IssuanceOrder,
  IssuanceProgress,
  JobState,
} from '../domain/issuance/issuanceJob.js';

interface JobRow {
  id: string;
  seq: number;
  card_id: string;
  batch_id: string | null;
  card_number: string;
  state: JobState;
  order_json: string;
  attempts: number;
  station: string | null;
  claim_token: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

const toRecord = (r: JobRow): IssuanceJob => ({
  id: r.id,
  seq: r.seq,
  cardId: r.card_id,
  batchId: r.batch_id,
  cardNumber: r.card_number,
  state: r.state,
  order: r.order_json === '' ? null : (JSON.parse(r.order_json) as IssuanceOrder),
  attempts: r.attempts,
  station: r.station,
  claimToken: r.claim_token,
  leaseUntil: r.lease_until,
  lastError: r.last_error,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** New job fields; the repository numbers it. */
export interface NewJob {
  readonly id: string;
  readonly cardId: string;
  readonly batchId: string | null;
  readonly cardNumber: string;
  readonly order: IssuanceOrder;
  readonly createdBy: string;
  readonly at: string;
}

/** All SQL of issuance jobs and card personalization records. Callers hold the transaction. */
export class IssuanceJobRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The next queue number (1 for the first job). */
  nextSeq(): number {
    const row = this.#db.prepare<[], { m: number | null }>('SELECT MAX(seq) AS m FROM issuance_jobs').get();
    return (row?.m ?? 0) + 1;
  }

  insert(job: NewJob, seq: number): void {
    this.#db
      .prepare(
        `INSERT INTO issuance_jobs (id, seq, card_id, batch_id, card_number, state, order_json, attempts, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?)`,
      )
      .run(job.id, seq, job.cardId, job.batchId, job.cardNumber, JSON.stringify(job.order), job.createdBy, job.at, job.at);
  }

  findById(id: string): IssuanceJob | undefined {
    const row = this.#db.prepare<[string], JobRow>('SELECT * FROM issuance_jobs WHERE id = ?').get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  findByCard(cardId: string): IssuanceJob | undefined {
    const row = this.#db.prepare<[string], JobRow>('SELECT * FROM issuance_jobs WHERE card_id = ?').get(cardId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The oldest job a station may take at `now`: queued, or claimed with its lease run out. */
  nextClaimable(now: string): IssuanceJob | undefined {
    const row = this.#db
      .prepare<[string], JobRow>(
        `SELECT * FROM issuance_jobs
         WHERE state = 'queued' OR (state = 'claimed' AND lease_until < ?)
         ORDER BY seq LIMIT 1`,
      )
      .get(now);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Compare-and-set claim; false when the job changed meanwhile. */
  claim(id: string, fromUpdatedAt: string, station: string, token: string, leaseUntil: string, at: string): boolean {
    return (
      this.#db
        .prepare(
          `UPDATE issuance_jobs SET state = 'claimed', station = ?, claim_token = ?, lease_until = ?,
             attempts = attempts + 1, updated_at = ?
           WHERE id = ? AND updated_at = ? AND state IN ('queued', 'claimed')`,
        )
        .run(station, token, leaseUntil, at, id, fromUpdatedAt).changes === 1
    );
  }

  /** Ends a claim: back to the queue, or failed; false unless the job is claimed with `token`. */
  release(id: string, token: string, to: 'queued' | 'failed', lastError: string, at: string): boolean {
    return (
      this.#db
        .prepare(
          `UPDATE issuance_jobs SET state = ?, claim_token = NULL, lease_until = NULL, last_error = ?, updated_at = ?
           WHERE id = ? AND state = 'claimed' AND claim_token = ?`,
        )
        .run(to, lastError, at, id, token).changes === 1
    );
  }

  /** Claimed with `token` -> done; the personal data snapshot is erased. False when not so claimed. */
  markDone(id: string, token: string, at: string): boolean {
    return (
      this.#db
        .prepare(
          `UPDATE issuance_jobs SET state = 'done', order_json = '', claim_token = NULL, lease_until = NULL, updated_at = ?
           WHERE id = ? AND state = 'claimed' AND claim_token = ?`,
        )
        .run(at, id, token).changes === 1
    );
  }

  /** failed -> queued with a fresh attempt count; false when the job is not failed. */
  requeue(id: string, at: string): boolean {
    return (
      this.#db
        .prepare(`UPDATE issuance_jobs SET state = 'queued', attempts = 0, updated_at = ? WHERE id = ? AND state = 'failed'`)
        .run(at, id).changes === 1
    );
  }

  /** Ids of up to `limit` approved cards that have no job yet, oldest first. */
  approvedCardsWithoutJob(limit: number): string[] {
    return this.#db
      .prepare<[number], { id: string }>(
        `SELECT c.id FROM cards c
         WHERE c.state = 'approved' AND NOT EXISTS (SELECT 1 FROM issuance_jobs j WHERE j.card_id = c.id)
         ORDER BY c.created_at, c.id LIMIT ?`,
      )
      .all(limit)
      .map((r) => r.id);
  }

  /** Counts by state, of one batch or (batchId null) of every job. */
  progress(batchId: string | null): IssuanceProgress {
    const rows = this.#db
      .prepare<[string | null, string | null], { state: JobState; n: number; extra: number }>(
        `SELECT state, COUNT(*) AS n, SUM(CASE WHEN state IN ('queued', 'failed') THEN attempts ELSE attempts - 1 END) AS extra
         FROM issuance_jobs WHERE (? IS NULL OR batch_id = ?) GROUP BY state`,
      )
      .all(batchId, batchId);
    const count = (s: JobState): number => rows.find((r) => r.state === s)?.n ?? 0;
    // A queued or failed job's claims all failed; a claimed or done job's last claim did not (yet).
    const retries = rows.reduce((sum, r) => sum + (r.extra ?? 0), 0);
    return {
      total: rows.reduce((sum, r) => sum + r.n, 0),
      queued: count('queued'),
      claimed: count('claimed'),
      done: count('done'),
      failed: count('failed'),
      retries,
    };
  }

  batchExists(batchId: string): boolean {
    return this.#db.prepare<[string], { x: number }>('SELECT 1 AS x FROM issuance_jobs WHERE batch_id = ? LIMIT 1').get(batchId) !== undefined;
  }

  insertPersonalization(p: CardPersonalization): void {
    this.#db
      .prepare(
        `INSERT INTO card_personalizations (card_id, job_id, card_number, csn, certificate, personalized_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(p.cardId, p.jobId, p.cardNumber, p.csn, p.certificate, p.personalizedAt);
  }

  personalizationOf(cardId: string): CardPersonalization | undefined {
    const row = this.#db
      .prepare<[string], { card_id: string; job_id: string; card_number: string; csn: string; certificate: string; personalized_at: string }>(
        'SELECT * FROM card_personalizations WHERE card_id = ?',
      )
      .get(cardId);
    return row === undefined
      ? undefined
      : { cardId: row.card_id, jobId: row.job_id, cardNumber: row.card_number, csn: row.csn, certificate: row.certificate, personalizedAt: row.personalized_at };
  }

  /** The card that holds chip serial number `csn`, if any. */
  cardWithCsn(csn: string): string | undefined {
    return this.#db.prepare<[string], { card_id: string }>('SELECT card_id FROM card_personalizations WHERE csn = ?').get(csn)?.card_id;
  }
}
