/**
 * All SQL of the hotlist_entries table: an append-only log whose INTEGER primary key is the
 * list's version.
 */
import type { Database } from 'better-sqlite3';
import type { HotlistAction, HotlistReason } from '@citycard/protocols';

export interface HotlistEntryRecord {
  readonly version: number;
  readonly cardNumber: string;
  readonly action: HotlistAction;
  readonly reason: HotlistReason;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
}

interface HotlistRow {
  version: number;
  card_number: string;
  action: HotlistAction;
  reason: HotlistReason;
  created_at: string;
}

const toRecord = (r: HotlistRow): HotlistEntryRecord => ({
  version: r.version,
  cardNumber: r.card_number,
  action: r.action,
  reason: r.reason,
  createdAt: r.created_at,
});

export class HotlistRepository {
  readonly #db;
  readonly #current;
  readonly #insert;
  readonly #since;
  readonly #latestForCard;
  readonly #listed;

  constructor(db: Database) {
    this.#db = db;
    this.#current = db.prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM hotlist_entries');
    this.#insert = db.prepare(
      'INSERT INTO hotlist_entries (version, card_number, action, reason, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.#since = db.prepare<[number, number], HotlistRow>(
      'SELECT * FROM hotlist_entries WHERE version > ? ORDER BY version LIMIT ?',
    );
    this.#latestForCard = db.prepare<[string], HotlistRow>(
      'SELECT * FROM hotlist_entries WHERE card_number = ? ORDER BY version DESC LIMIT 1',
    );
    this.#listed = db.prepare<[], { card_number: string }>(
      `SELECT h.card_number FROM hotlist_entries h
       WHERE h.action = 'add'
         AND h.version = (SELECT MAX(l.version) FROM hotlist_entries l WHERE l.card_number = h.card_number)
       ORDER BY h.card_number`,
    );
  }

  /** The list's version: that of its last entry, 0 when empty. */
  currentVersion(): number {
    return this.#current.get()?.v ?? 0;
  }

  /**
   * Appends one entry at the next version, inside a transaction so concurrent writers cannot
   * share a version (the primary key would refuse the second). Returns the stored record.
   */
  append(entry: Omit<HotlistEntryRecord, 'version'>): HotlistEntryRecord {
    return this.#db.transaction(() => {
      const version = this.currentVersion() + 1;
      this.#insert.run(version, entry.cardNumber, entry.action, entry.reason, entry.createdAt);
      return { ...entry, version };
    })();
  }

  /** Entries with a version above `sinceVersion`, ascending, at most `limit`. */
  entriesSince(sinceVersion: number, limit: number): HotlistEntryRecord[] {
    return this.#since.all(sinceVersion, limit).map(toRecord);
  }

  /** The card's latest entry, if it ever was on the list. */
  latestForCard(cardNumber: string): HotlistEntryRecord | undefined {
    const row = this.#latestForCard.get(cardNumber);
    return row === undefined ? undefined : toRecord(row);
  }

  /**
   * The listed cards and the version they describe, read in one transaction so the pair is
   * consistent.
   */
  snapshot(): { version: number; cardNumbers: string[] } {
    return this.#db.transaction(() => ({
      version: this.currentVersion(),
      cardNumbers: this.#listed.all().map((r) => r.card_number),
    }))();
  }
}
