/**
 * Opens the backend database: one SQLite file in the data directory, WAL journal (readers do not
 * block the writer), foreign keys enforced, a busy timeout so a second process waits, not fails.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** File name of the database inside the data directory. */
export const DB_FILE = 'backend.sqlite';

/**
 * Opens (creating if needed) `DIR/backend.sqlite`, or an in-memory database for `':memory:'`.
 * @throws the driver's error when the directory or file cannot be opened.
 */
export function openDatabase(dataDir: string | ':memory:'): Db {
  let db: Db;
  if (dataDir === ':memory:') {
    db = new Database(':memory:');
  } else {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    db = new Database(join(dataDir, DB_FILE));
    db.pragma('journal_mode = WAL');
  }
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
