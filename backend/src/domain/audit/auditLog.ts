import type { Database } from 'better-sqlite3';
import { AuditRepository } from '../../data/auditRepository.js';
import type { AuditRecord } from './auditEntry.js';
import { GENESIS_HASH, auditEntryHash } from './auditHash.js';
import type { AuditEntry, AuditSink } from './auditSink.js';
import { canonicalJson } from './canonicalJson.js';
import { AuditEntryError } from './errors.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

const checkField = (name: string, value: unknown, max: number): void => {
  if (typeof value !== 'string' || value.length < 1 || value.length > max) {
    throw new AuditEntryError(`audit ${name} must be 1-${max} characters`);
  }
};

/**
 * The append-only, hash-chained audit log: the durable AuditSink. Appends inside the caller's
 * transaction when there is one, so a state change and its audit entry commit or roll back together.
 */
export class AuditLog implements AuditSink {
  readonly #db: Database;
  readonly #repo: AuditRepository;

  constructor(db: Database) {
    this.#db = db;
    this.#repo = new AuditRepository(db);
  }

  /**
   * Appends one entry chained to the newest one; entry.target is stored as the subject.
   * @throws AuditEntryError when at is not ISO-8601 UTC, actor/action are not 1-100 characters,
   *   target is not 1-200 characters, or details carry a forbidden key or a non-JSON value.
   */
  append(entry: AuditEntry): AuditRecord {
    if (typeof entry.at !== 'string' || !ISO_UTC.test(entry.at)) throw new AuditEntryError('audit at must be ISO-8601 UTC');
    checkField('actor', entry.actor, 100);
    checkField('action', entry.action, 100);
    if (entry.target !== undefined) checkField('target', entry.target, 200);
    const details = canonicalJson(entry.details ?? {});
    const write = (): AuditRecord => {
      const last = this.#repo.last();
      const fields = {
        seq: (last?.seq ?? 0) + 1,
        at: entry.at,
        actor: entry.actor,
        action: entry.action,
        subject: entry.target ?? null,
        details,
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const record: AuditRecord = { ...fields, hash: auditEntryHash(fields) };
      this.#repo.insert(record);
      return record;
    };
    // IMMEDIATE takes the write lock before reading the head, so two processes cannot fork the chain.
    return this.#db.inTransaction ? write() : this.#db.transaction(write).immediate();
  }

  /** AuditSink port: same as append, without the result. Throws as append. */
  record(entry: AuditEntry): void {
    this.append(entry);
  }

  /** Entries about one subject (card id, cardholder id), oldest first. */
  forSubject(subject: string): AuditRecord[] {
    return this.#repo.forSubject(subject);
  }
}
