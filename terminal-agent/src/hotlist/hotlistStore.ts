/**
 * The terminal's copy of the hotlist on disk (SQLite, WAL), so a terminal restarted while the
 * backend is out of reach still refuses the cards of the last list it verified. Two tables,
 * prefixed so they can live in a file shared with other stores:
 *
 * - `hotlist_card (card_number)`: the listed cards;
 * - `hotlist_meta`: one row, the list's version and `last_sync_at` (ISO 8601), the time the
 *   terminal last knew it held the backend's current list.
 *
 * Messages reach the store only after their signature and sequence were checked; the store
 * applies one in a single transaction, so the version, the cards and the sync time move together.
 */
import Database from 'better-sqlite3';
import type { HotlistMessage, HotlistState } from '@citycard/protocols';
import { HotlistStoreError } from './hotlistErrors.js';

/** File name of the hotlist store in the agent's data directory. */
export const HOTLIST_FILE_NAME = 'hotlist.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hotlist_card (
  card_number TEXT PRIMARY KEY CHECK (length(card_number) = 16)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hotlist_meta (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  version      INTEGER NOT NULL CHECK (version BETWEEN 0 AND 4294967295),
  last_sync_at TEXT
);
INSERT OR IGNORE INTO hotlist_meta (id, version, last_sync_at) VALUES (1, 0, NULL);
`;

/** What a terminal finds on disk at start. */
export interface PersistedHotlist {
  readonly state: HotlistState;
  /** Undefined until the first successful sync. */
  readonly lastSyncAt: Date | undefined;
}

export class HotlistStore {
  readonly #db: Database.Database;
  readonly #owned: boolean;
  readonly #meta: Database.Statement;
  readonly #cards: Database.Statement;
  readonly #add: Database.Statement;
  readonly #remove: Database.Statement;
  readonly #clear: Database.Statement;
  readonly #setMeta: Database.Statement;

  /**
   * Open or create the tables in `target`: a file path (opened in WAL mode and closed by
   * `close()`), or a database the caller opened and closes itself. Throws `HotlistStoreError`
   * for a file that cannot be opened or holds an incompatible table.
   */
  constructor(target: string | Database.Database) {
    try {
      this.#owned = typeof target === 'string';
      this.#db = typeof target === 'string' ? new Database(target) : target;
      if (this.#owned) {
        this.#db.pragma('journal_mode = WAL');
        // NORMAL may lose the last commit on power loss; version, cards and sync time roll back
        // together, so the terminal is only more stale and fetches that delta again.
        this.#db.pragma('synchronous = NORMAL');
      }
      this.#db.exec(SCHEMA);
      this.#meta = this.#db.prepare('SELECT version, last_sync_at AS lastSyncAt FROM hotlist_meta WHERE id = 1');
      this.#cards = this.#db.prepare('SELECT card_number AS cardNumber FROM hotlist_card').pluck();
      this.#add = this.#db.prepare('INSERT OR IGNORE INTO hotlist_card (card_number) VALUES (?)');
      this.#remove = this.#db.prepare('DELETE FROM hotlist_card WHERE card_number = ?');
      this.#clear = this.#db.prepare('DELETE FROM hotlist_card');
      this.#setMeta = this.#db.prepare('UPDATE hotlist_meta SET version = @version, last_sync_at = @lastSyncAt WHERE id = 1');
    } catch (err) {
      throw new HotlistStoreError(`the hotlist store cannot be opened: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The list as last stored. Throws `HotlistStoreError` when the file cannot be read. */
  load(): PersistedHotlist {
    try {
      const meta = this.#meta.get() as { version: number; lastSyncAt: string | null };
      const cards = new Set(this.#cards.all() as string[]);
      return { state: { version: meta.version, cards }, lastSyncAt: meta.lastSyncAt === null ? undefined : new Date(meta.lastSyncAt) };
    } catch (err) {
      throw new HotlistStoreError(`the hotlist store cannot be read: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Apply a verified message that fits the stored version (a delta whose base is the stored
   * version, or a snapshot not older than it) and record `lastSyncAt`, in one transaction.
   * Throws `HotlistStoreError` when the stored version does not fit (another writer moved it) or
   * the write fails; nothing is changed then.
   */
  apply(message: HotlistMessage, lastSyncAt: Date | undefined): void {
    try {
      this.#db.transaction(() => {
        const { version } = this.#meta.get() as { version: number };
        if (message.kind === 'delta') {
          if (message.baseVersion !== version) throw new HotlistStoreError(`the stored hotlist is at version ${version}, the delta starts at ${message.baseVersion}`);
          for (const entry of message.entries) {
            if (entry.action === 'add') this.#add.run(entry.cardNumber);
            else this.#remove.run(entry.cardNumber);
          }
        } else {
          if (message.version < version) throw new HotlistStoreError(`the stored hotlist is at version ${version}, the snapshot is older (${message.version})`);
          this.#clear.run();
          for (const cardNumber of message.cardNumbers) this.#add.run(cardNumber);
        }
        this.#setMeta.run({ version: message.version, lastSyncAt: lastSyncAt?.toISOString() ?? null });
      })();
    } catch (err) {
      if (err instanceof HotlistStoreError) throw err;
      throw new HotlistStoreError(`the hotlist store cannot be written: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Close the file if this store opened it. */
  close(): void {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}
