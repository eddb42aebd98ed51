/**
 * The HSM's SQLite file: keys (sealed under the LMK), clients (credentials sealed under the LMK),
 * the city CA certificate, metadata (LMK check value, profile) and the append-only audit log.
 */
import Database from 'better-sqlite3';
import { HsmStoreError } from '../errors.js';

export type HsmDatabase = Database.Database;

/** File name of the store inside the data directory. */
export const HSM_DB_FILE = 'hsm.sqlite';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
  label TEXT NOT NULL,
  version INTEGER NOT NULL,
  kind TEXT NOT NULL,
  usage TEXT NOT NULL,
  exportable INTEGER NOT NULL,
  kcv TEXT NOT NULL,
  sealed BLOB NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (label, version)
);
CREATE TABLE IF NOT EXISTS clients (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  sealed BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS certificates (
  label TEXT PRIMARY KEY,
  der BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  client TEXT NOT NULL,
  command TEXT NOT NULL,
  keys TEXT NOT NULL,
  subject TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  mac TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

/**
 * Opens (creating when missing) the store at `path`. WAL with `synchronous = NORMAL`: a commit
 * survives a crash of the process; the last commits before a power cut may be lost. Throws
 * `HsmStoreError` when the file is not a CityCard HSM store of this schema version.
 */
export function openHsmDatabase(path: string): HsmDatabase {
  let db: HsmDatabase;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(SCHEMA);
  } catch (err) {
    throw new HsmStoreError(`cannot open the HSM store ${path}`, { cause: err });
  }
  const row = db.prepare('SELECT value FROM meta WHERE name = ?').get('schema') as { value: string } | undefined;
  if (row === undefined) {
    db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run('schema', String(SCHEMA_VERSION));
  } else if (row.value !== String(SCHEMA_VERSION)) {
    db.close();
    throw new HsmStoreError(`HSM store schema ${row.value} is not supported (expected ${SCHEMA_VERSION})`);
  }
  return db;
}

/** Reads a metadata value, or undefined. */
export function readMeta(db: HsmDatabase, name: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: string } | undefined;
  return row?.value;
}

/** Writes a metadata value (insert or replace). */
export function writeMeta(db: HsmDatabase, name: string, value: string): void {
  db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run(
    name,
    value,
  );
}
