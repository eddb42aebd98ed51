/**
 * The record store's schema, as numbered migrations kept in SQLite's `user_version`. A file at
 * version n runs migrations n+1.. up to {@link STORE_SCHEMA_VERSION}, each in its own immediate
 * transaction with its version bump, so a crash leaves the file at one version or the next.
 *
 * - 1: the purse records (kind, natural keys, record JSON). Files written before versioning are
 *   at `user_version` 0 and already hold this table; `IF NOT EXISTS` keeps them as they are.
 * - 2: upload state on each record (`uploaded_batch`, `uploaded_at`) and the purchase intents.
 */
import type Database from 'better-sqlite3';
import { StoreVersionError } from './storeErrors.js';

const MIGRATIONS: readonly string[] = [
  `
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
`,
  `
ALTER TABLE purse_record ADD COLUMN uploaded_batch TEXT;
ALTER TABLE purse_record ADD COLUMN uploaded_at TEXT;
CREATE INDEX purse_record_outbox ON purse_record (id) WHERE uploaded_batch IS NULL;
CREATE INDEX purse_record_spend ON purse_record (card_number, stored_at) WHERE kind = 'purchase';
CREATE TABLE purchase_intent (
  id              INTEGER PRIMARY KEY,
  card_number     TEXT    NOT NULL,
  offline_counter INTEGER NOT NULL,
  terminal        TEXT    NOT NULL,
  ttsn            INTEGER NOT NULL,
  amount          INTEGER NOT NULL CHECK (amount > 0),
  pending         TEXT    NOT NULL,
  written_at      TEXT    NOT NULL,
  status          TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'completed', 'recovered', 'notCommitted', 'unrecoverable')),
  detail          TEXT,
  record_id       INTEGER REFERENCES purse_record (id),
  resolved_at     TEXT,
  UNIQUE (terminal, ttsn)
);
CREATE INDEX purchase_intent_open ON purchase_intent (card_number, id) WHERE status = 'pending';
CREATE INDEX purchase_intent_status ON purchase_intent (status, id);
`,
];

/** The schema version this software writes. */
export const STORE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring `db` to {@link STORE_SCHEMA_VERSION}. Throws `StoreVersionError` for a file of a newer
 * version (nothing changed), and what SQLite throws.
 */
export function migrateStore(db: Database.Database): void {
  const versionOf = (): number => db.pragma('user_version', { simple: true }) as number;
  const found = versionOf();
  if (found > STORE_SCHEMA_VERSION) throw new StoreVersionError(found, STORE_SCHEMA_VERSION);
  for (let next = found + 1; next <= STORE_SCHEMA_VERSION; next++) {
    const step = db.transaction(() => {
      // Another process may have migrated between our read and this write lock.
      if (versionOf() >= next) return;
      db.exec(MIGRATIONS[next - 1]!);
      db.pragma(`user_version = ${next}`);
    });
    step.immediate();
  }
}
