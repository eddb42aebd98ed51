/**
 * All SQL of the clearing review queue (clearing_exceptions, migration 071). Plain typed records
 * in and out; `details` is JSON text. Transactions belong to the caller.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { ExceptionKind, ExceptionStatus } from '../domain/clearing/clearingException.js';

export interface ExceptionRecord {
  readonly id: number;
  readonly kind: ExceptionKind;
  /** Unique per kind: 'inbox:<id>', 'card:<card>:<offline|online>:<counter>' or 'terminal:<terminal>:<ttsn>'. */
  readonly subject: string;
  readonly cardNumber: string | null;
  readonly terminalNumber: string | null;
  readonly inboxId: number | null;
  /** JSON object. */
  readonly details: string;
  readonly status: ExceptionStatus;
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly resolvedAt: string | null;
  /** A staff id, or 'clearing' for what clearing closed itself. */
  readonly resolvedBy: string | null;
  readonly resolution: string | null;
}

export type NewException = Pick<ExceptionRecord, 'kind' | 'subject' | 'cardNumber' | 'terminalNumber' | 'inboxId' | 'details'> & { readonly at: string };

export interface ExceptionFilter {
  readonly status?: ExceptionStatus;
  readonly kind?: ExceptionKind;
  readonly cardNumber?: string;
  /** Only ids above this (paging); default 0. */
  readonly afterId?: number;
  /** 1 to 1000; default 100. */
  readonly limit?: number;
}

interface ExceptionRow {
  id: number;
  kind: ExceptionKind;
  subject: string;
  card_number: string | null;
  terminal_number: string | null;
  inbox_id: number | null;
  details: string;
  status: ExceptionStatus;
  opened_at: string;
  updated_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution: string | null;
}

const toRecord = (r: ExceptionRow): ExceptionRecord => ({
  id: r.id,
  kind: r.kind,
  subject: r.subject,
  cardNumber: r.card_number,
  terminalNumber: r.terminal_number,
  inboxId: r.inbox_id,
  details: r.details,
  status: r.status,
  openedAt: r.opened_at,
  updatedAt: r.updated_at,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  resolution: r.resolution,
});

export class ClearingExceptionRepository {
  readonly #db: Database;
  readonly #find: Statement<[string, string], ExceptionRow>;
  readonly #insert: Statement;
  readonly #details: Statement<[string, string, number]>;
  readonly #reopen: Statement<[string, string, number, string]>;
  readonly #resolve: Statement<[string, string, string, string | null, string, number]>;
  readonly #counts: Statement<[], { kind: ExceptionKind; status: ExceptionStatus; n: number }>;
  readonly #get: Statement<[number], ExceptionRow>;

  constructor(db: Database) {
    this.#db = db;
    this.#find = db.prepare('SELECT * FROM clearing_exceptions WHERE kind = ? AND subject = ?');
    this.#insert = db.prepare(
      `INSERT INTO clearing_exceptions (kind, subject, card_number, terminal_number, inbox_id, details, status, opened_at, updated_at)
       VALUES (@kind, @subject, @cardNumber, @terminalNumber, @inboxId, @details, 'open', @at, @at)
       ON CONFLICT (kind, subject) DO NOTHING`,
    );
    this.#details = db.prepare("UPDATE clearing_exceptions SET details = ?, updated_at = ? WHERE id = ? AND status = 'open'");
    this.#reopen = db.prepare(
      `UPDATE clearing_exceptions SET status = 'open', details = ?, updated_at = ?, resolved_at = NULL, resolved_by = NULL, resolution = NULL
       WHERE id = ? AND status = 'resolved' AND resolved_by = ?`,
    );
    this.#resolve = db.prepare(
      `UPDATE clearing_exceptions SET status = ?, resolved_at = ?, resolved_by = ?, resolution = ?, updated_at = ?
       WHERE id = ? AND status = 'open'`,
    );
    this.#counts = db.prepare('SELECT kind, status, COUNT(*) AS n FROM clearing_exceptions GROUP BY kind, status');
    this.#get = db.prepare('SELECT * FROM clearing_exceptions WHERE id = ?');
  }

  find(kind: ExceptionKind, subject: string): ExceptionRecord | undefined {
    const r = this.#find.get(kind, subject);
    return r === undefined ? undefined : toRecord(r);
  }

  get(id: number): ExceptionRecord | undefined {
    const r = this.#get.get(id);
    return r === undefined ? undefined : toRecord(r);
  }

  /** Opens an exception; false (nothing written) when one of this kind and subject exists in any status. */
  open(e: NewException): boolean {
    return this.#insert.run(e).changes === 1;
  }

  /** Replaces the details of an open exception; false when it is not open. */
  updateDetails(id: number, details: string, at: string): boolean {
    return this.#details.run(details, at, id).changes === 1;
  }

  /** Opens again an exception `resolvedBy` closed (only that resolver's); false otherwise. */
  reopen(id: number, details: string, at: string, resolvedBy: string): boolean {
    return this.#reopen.run(details, at, id, resolvedBy).changes === 1;
  }

  /** Closes an open exception; false when it is not open. */
  resolve(id: number, r: { status: 'resolved' | 'refunded'; by: string; resolution: string | null; at: string }): boolean {
    return this.#resolve.run(r.status, r.at, r.by, r.resolution, r.at, id).changes === 1;
  }

  /** Exceptions by id, filtered. */
  list(filter: ExceptionFilter = {}): ExceptionRecord[] {
    const where: string[] = ['id > @afterId'];
    const params: Record<string, string | number> = { afterId: filter.afterId ?? 0 };
    const add = (column: string, name: string, value: string | undefined): void => {
      if (value === undefined) return;
      where.push(`${column} = @${name}`);
      params[name] = value;
    };
    add('status', 'status', filter.status);
    add('kind', 'kind', filter.kind);
    add('card_number', 'cardNumber', filter.cardNumber);
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
    return this.#db
      .prepare<Record<string, string | number>, ExceptionRow>(`SELECT * FROM clearing_exceptions WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${limit}`)
      .all(params)
      .map(toRecord);
  }

  /** How many exceptions there are of each kind in each status (absent: none). */
  counts(): { kind: ExceptionKind; status: ExceptionStatus; count: number }[] {
    return this.#counts.all().map((r) => ({ kind: r.kind, status: r.status, count: r.n }));
  }
}
