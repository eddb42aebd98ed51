/**
 * Versioned schema migrations: `NNN_name.sql` files applied in number order, each once, each in
 * its own transaction together with its row in `schema_migrations`. Numbers are shared out by
 * area (001-009 core, 010-019 audit and lifecycle, 020-029 terminals and identity).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

/** Folder of the backend's own migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const FILE_NAME = /^(\d{3})_([a-z0-9_-]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Two files with one number, or a file that does not follow `NNN_name.sql`. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/**
 * Reads the migrations of a folder, sorted by version.
 * @throws MigrationError on a malformed file name or a duplicate number.
 */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const found = new Map<number, Migration>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_NAME.exec(file);
    if (m === null) throw new MigrationError(`migration file ${file} does not match NNN_name.sql`);
    const version = Number(m[1]);
    const previous = found.get(version);
    if (previous !== undefined) throw new MigrationError(`migrations ${previous.name} and ${file} share number ${m[1]}`);
    found.set(version, { version, name: file, sql: readFileSync(join(dir, file), 'utf8') });
  }
  return [...found.values()].sort((a, b) => a.version - b.version);
}

/**
 * Applies every migration not yet recorded; returns the versions applied now.
 * @throws MigrationError as {@link readMigrations}; the driver's error (with that migration rolled back) on bad SQL.
 */
export function migrate(db: Db, migrations: Migration[] = readMigrations(), now: () => Date = () => new Date()): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, now().toISOString());
    })();
    done.push(m.version);
  }
  return done;
}
