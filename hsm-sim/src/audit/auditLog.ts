/**
 * The append-only audit log: one row per command (and per authentication attempt) with the time,
 * the client, the command, the key references it touched (`MTK:01`, never a value), a subject
 * (card number, session, client name), the outcome and a short detail. SQLite triggers refuse
 * UPDATE and DELETE; each row also carries an HMAC (under an LMK-derived key) over the previous
 * row's HMAC and its own fields, so an edit made behind SQLite's back (or a deleted row) is found
 * by {@link AuditLog.verify}, and cannot be re-chained without the LMK.
 */
import { HsmStoreError } from '../errors.js';
import { type HsmDatabase } from '../keystore/database.js';
import { type LmkCipher } from '../keystore/lmkCipher.js';

/** `ok`: done; `mismatch`: a cryptogram did not verify; `refused`: authentication or role; `error`: failed. */
export type AuditOutcome = 'ok' | 'mismatch' | 'refused' | 'error';

/** What a caller records; never key material, PINs or tokens. */
export interface AuditRecord {
  readonly client: string;
  readonly command: string;
  /** Key references such as `MTK:01`. */
  readonly keys: readonly string[];
  /** Card number, session id, client name... or empty. */
  readonly subject: string;
  readonly outcome: AuditOutcome;
  readonly detail: string;
}

export interface AuditEntry extends AuditRecord {
  readonly seq: number;
  /** ISO 8601. */
  readonly time: string;
  /** Hex HMAC chaining this entry to the previous one. */
  readonly mac: string;
}

interface AuditRow {
  seq: number;
  time: string;
  client: string;
  command: string;
  keys: string;
  subject: string;
  outcome: string;
  detail: string;
  mac: string;
}

const GENESIS = '0'.repeat(64);

function canonical(seq: number, time: string, r: AuditRecord): Buffer {
  return Buffer.from(JSON.stringify([seq, time, r.client, r.command, r.keys, r.subject, r.outcome, r.detail]), 'utf8');
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    time: row.time,
    client: row.client,
    command: row.command,
    keys: JSON.parse(row.keys) as string[],
    subject: row.subject,
    outcome: row.outcome as AuditOutcome,
    detail: row.detail,
    mac: row.mac,
  };
}

export class AuditLog {
  readonly #db: HsmDatabase;
  readonly #cipher: LmkCipher;
  readonly #clock: () => Date;
  readonly #last;
  readonly #insert;
  #head: { seq: number; mac: string } | undefined;

  constructor(db: HsmDatabase, cipher: LmkCipher, clock: () => Date = () => new Date()) {
    this.#db = db;
    this.#cipher = cipher;
    this.#clock = clock;
    this.#last = db.prepare<[], { seq: number; mac: string }>('SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1');
    this.#insert = db.prepare(
      'INSERT INTO audit (seq, time, client, command, keys, subject, outcome, detail, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Appends one entry and returns it. */
  append(record: AuditRecord): AuditEntry {
    // The chain head is cached; another process (the CLI adding a client while the server runs)
    // may have appended meanwhile, which the primary key on seq reveals: reread and retry.
    for (let attempt = 0; ; attempt++) {
      // Inside a caller's transaction a rollback could undo entries: never trust the cache there.
      if (this.#db.inTransaction) this.#head = undefined;
      this.#head ??= this.#last.get() ?? { seq: 0, mac: GENESIS };
      const seq = this.#head.seq + 1;
      const time = this.#clock().toISOString();
      const mac = this.#chain(this.#head.mac, canonical(seq, time, record));
      try {
        this.#insert.run(seq, time, record.client, record.command, JSON.stringify(record.keys), record.subject, record.outcome, record.detail, mac);
      } catch (err) {
        this.#head = undefined;
        if (attempt < 5 && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') continue;
        throw err;
      }
      this.#head = { seq, mac };
      return { ...record, seq, time, mac };
    }
  }

  /** Entries with `seq > after`, oldest first, at most `limit` (default all). */
  entries(after = 0, limit = -1): AuditEntry[] {
    return this.#db
      .prepare<[number, number], AuditRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(after, limit)
      .map(toEntry);
  }

  /**
   * Recomputes the whole chain. Returns the number of entries; throws `HsmStoreError` naming the
   * first entry that was edited, inserted or follows a gap.
   */
  verify(): number {
    let previous = GENESIS;
    let expectedSeq = 1;
    for (const row of this.#db.prepare<[], AuditRow>('SELECT * FROM audit ORDER BY seq').iterate()) {
      const entry = toEntry(row);
      if (entry.seq !== expectedSeq) throw new HsmStoreError(`audit log: entry ${expectedSeq} is missing`);
      const mac = this.#chain(previous, canonical(entry.seq, entry.time, entry));
      if (mac !== entry.mac) throw new HsmStoreError(`audit log: entry ${entry.seq} does not match its chain value`);
      previous = mac;
      expectedSeq++;
    }
    return expectedSeq - 1;
  }

  #chain(previous: string, body: Buffer): string {
    return this.#cipher.auditMac(Buffer.concat([Buffer.from(previous, 'hex'), body])).toString('hex');
  }
}
