import type { Database } from 'better-sqlite3';
import type { AuditRecord } from '../domain/audit/auditEntry.js';

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

const toRecord = (r: AuditRow): AuditRecord => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  subject: r.subject,
  details: r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** All SQL of the audit_log table. Insert only: the table's triggers refuse UPDATE and DELETE. */
export class AuditRepository {
  readonly #last;
  readonly #insert;
  readonly #all;
  readonly #bySubject;

  constructor(db: Database) {
    this.#last = db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.#insert = db.prepare(
      `INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash)
       VALUES (@seq, @at, @actor, @action, @subject, @details, @prevHash, @hash)`,
    );
    this.#all = db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq');
    this.#bySubject = db.prepare<[string], AuditRow>('SELECT * FROM audit_log WHERE subject = ? ORDER BY seq');
  }

  /** The newest entry, or undefined when the log is empty. */
  last(): AuditRecord | undefined {
    const row = this.#last.get();
    return row === undefined ? undefined : toRecord(row);
  }

  insert(record: AuditRecord): void {
    this.#insert.run(record);
  }

  /** Every entry in seq order, streamed so a large log is not held in memory. */
  *iterate(): IterableIterator<AuditRecord> {
    for (const row of this.#all.iterate()) yield toRecord(row);
  }

  forSubject(subject: string): AuditRecord[] {
    return this.#bySubject.all(subject).map(toRecord);
  }
}
