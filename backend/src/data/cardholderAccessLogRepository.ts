import type { Database } from 'better-sqlite3';
import type { AccessPurpose } from '../domain/cardholders/accessPurpose.js';
import type { AccessLogEntry } from '../domain/cardholders/cardholder.js';

interface AccessRow {
  id: number;
  cardholder_id: string;
  accessor: string;
  purpose: AccessPurpose;
  at: string;
}

/** All SQL of the append-only cardholder_access_log table. */
export class CardholderAccessLogRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  insert(cardholderId: string, accessor: string, purpose: AccessPurpose, at: string): void {
    this.#db
      .prepare('INSERT INTO cardholder_access_log (cardholder_id, accessor, purpose, at) VALUES (?, ?, ?, ?)')
      .run(cardholderId, accessor, purpose, at);
  }

  /** Every logged read of one cardholder's data, oldest first. */
  forCardholder(cardholderId: string): AccessLogEntry[] {
    return this.#db
      .prepare<[string], AccessRow>('SELECT * FROM cardholder_access_log WHERE cardholder_id = ? ORDER BY id')
      .all(cardholderId)
      .map((r) => ({ id: r.id, cardholderId: r.cardholder_id, accessor: r.accessor, purpose: r.purpose, at: r.at }));
  }
}
