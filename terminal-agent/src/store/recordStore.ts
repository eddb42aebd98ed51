/**
 * The terminal's durable record of purse transactions (SQLite, WAL, synchronous FULL): a record
 * is on disk before the terminal tells anyone the payment is done. Natural keys make storing
 * idempotent: a purchase is (card number, offline counter), and also (terminal, TTSN); a load is
 * (card number, online counter). Each record keeps its whole APDU trail.
 */
import Database from 'better-sqlite3';
import type { LoadRecord, PurchaseRecord } from '../purse/purseRecords.js';

export type PurseRecord = PurchaseRecord | LoadRecord;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS purse_record (
  id            INTEGER PRIMARY KEY,
  kind          TEXT    NOT NULL CHECK (kind IN ('purchase', 'load')),
  card_number   TEXT    NOT NULL,
  counter       INTEGER NOT NULL,
  terminal      TEXT    NOT NULL,
  ttsn          INTEGER,
  amount        INTEGER NOT NULL CHECK (amount > 0),
  date          TEXT    NOT NULL,
  time          TEXT    NOT NULL,
  tac           TEXT    NOT NULL,
  record        TEXT    NOT NULL,
  stored_at     TEXT    NOT NULL,
  UNIQUE (kind, card_number, counter)
);
CREATE UNIQUE INDEX IF NOT EXISTS purse_record_ttsn ON purse_record (terminal, ttsn) WHERE kind = 'purchase';
`;

export class RecordStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #count: Database.Statement;

  /** Open or create the store at `file`. Throws what better-sqlite3 throws for an unusable file. */
  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare(
      `INSERT INTO purse_record (kind, card_number, counter, terminal, ttsn, amount, date, time, tac, record, stored_at)
       VALUES (@kind, @cardNumber, @counter, @terminal, @ttsn, @amount, @date, @time, @tac, @record, @storedAt)
       ON CONFLICT DO NOTHING`,
    );
    this.#count = this.#db.prepare('SELECT COUNT(*) AS n FROM purse_record');
  }

  /** Store a record durably. Returns false when it was already stored (same natural key). */
  put(record: PurseRecord, now: Date = new Date()): boolean {
    const info = this.#insert.run({
      kind: record.kind,
      cardNumber: record.cardNumber,
      counter: record.kind === 'purchase' ? record.offlineCounter : record.onlineCounter,
      terminal: record.terminal,
      ttsn: record.kind === 'purchase' ? record.ttsn : null,
      amount: record.amount,
      date: record.date,
      time: record.time,
      tac: record.tac,
      record: JSON.stringify(record),
      storedAt: now.toISOString(),
    });
    return info.changes === 1;
  }

  /** Records stored so far. */
  count(): number {
    return (this.#count.get() as { n: number }).n;
  }

  close(): void {
    this.#db.close();
  }
}
