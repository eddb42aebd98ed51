/**
 * All SQL of uploads: the terminals' upload keys, received batches and the inbox of records
 * (migration 060). Plain typed records in and out; transactions belong to the caller.
 */
import type { Database, Statement } from 'better-sqlite3';

export interface UploadKeyRecord {
  readonly terminalNumber: string;
  /** Raw 32-byte Ed25519 key, upper-case hex. */
  readonly publicKey: string;
  /** ISO-8601 UTC issuedAt of the proof that registered it. */
  readonly proofIssuedAt: string;
  readonly registeredAt: string;
}

export interface BatchRecord {
  readonly batchId: string;
  readonly terminalNumber: string;
  /** SHA-256 the signature covers, upper-case hex. */
  readonly digest: string;
  readonly signature: string;
  readonly publicKey: string;
  /** The terminal's time of building the batch. */
  readonly createdAt: string;
  readonly receivedAt: string;
  readonly recordCount: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly conflicts: number;
}

/** The keys clearing de-duplicates on: (kind, card, counter) and, for purchases, (terminal, TTSN). */
export interface NaturalKey {
  readonly kind: 'purchase' | 'load';
  readonly cardNumber: string;
  /** Offline counter (purchase) or online counter (load) before the transaction. */
  readonly counter: number;
  readonly terminalNumber: string;
  /** Purchases only. */
  readonly ttsn: number | null;
}

export interface InboxRecord extends NaturalKey {
  readonly id: number;
  readonly batchId: string;
  /** Index of the record in its batch, from 0. */
  readonly position: number;
  readonly amount: number;
  /** SHA-256 of the record's canonical JSON, upper-case hex. */
  readonly recordDigest: string;
  /** The record's canonical JSON. */
  readonly record: string;
  /** The first row of its natural key when this row is a conflict (clone signal); null otherwise. */
  readonly conflictOf: number | null;
  /** 'received' until clearing advances it. */
  readonly status: string;
  readonly statusAt: string;
  readonly receivedAt: string;
}

export type NewInboxRecord = Omit<InboxRecord, 'id' | 'status' | 'statusAt'>;

/** A stored row seen by natural key, for classifying a new record. */
export interface KeyMatch {
  readonly id: number;
  readonly recordDigest: string;
  readonly conflictOf: number | null;
}

interface InboxRow {
  id: number;
  batch_id: string;
  position: number;
  kind: 'purchase' | 'load';
  card_number: string;
  counter: number;
  terminal_number: string;
  ttsn: number | null;
  amount: number;
  record_digest: string;
  record: string;
  conflict_of: number | null;
  status: string;
  status_at: string;
  received_at: string;
}

const toInbox = (r: InboxRow): InboxRecord => ({
  id: r.id,
  batchId: r.batch_id,
  position: r.position,
  kind: r.kind,
  cardNumber: r.card_number,
  counter: r.counter,
  terminalNumber: r.terminal_number,
  ttsn: r.ttsn,
  amount: r.amount,
  recordDigest: r.record_digest,
  record: r.record,
  conflictOf: r.conflict_of,
  status: r.status,
  statusAt: r.status_at,
  receivedAt: r.received_at,
});

type MatchRow = { id: number; record_digest: string; conflict_of: number | null };
const toMatch = (r: MatchRow): KeyMatch => ({ id: r.id, recordDigest: r.record_digest, conflictOf: r.conflict_of });

export class UploadKeyRepository {
  readonly #find: Statement<[string], { terminal_number: string; public_key: string; proof_issued_at: string; registered_at: string }>;
  readonly #owner: Statement<[string], { terminal_number: string }>;
  readonly #upsert: Statement;

  constructor(db: Database) {
    this.#find = db.prepare('SELECT * FROM terminal_upload_keys WHERE terminal_number = ?');
    this.#owner = db.prepare('SELECT terminal_number FROM terminal_upload_keys WHERE public_key = ?');
    this.#upsert = db.prepare(
      `INSERT INTO terminal_upload_keys (terminal_number, public_key, proof_issued_at, registered_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (terminal_number) DO UPDATE SET public_key = excluded.public_key, proof_issued_at = excluded.proof_issued_at, registered_at = excluded.registered_at`,
    );
  }

  find(terminalNumber: string): UploadKeyRecord | undefined {
    const r = this.#find.get(terminalNumber);
    return r === undefined ? undefined : { terminalNumber: r.terminal_number, publicKey: r.public_key, proofIssuedAt: r.proof_issued_at, registeredAt: r.registered_at };
  }

  /** The terminal holding this key, if any. */
  ownerOf(publicKey: string): string | undefined {
    return this.#owner.get(publicKey)?.terminal_number;
  }

  /** Inserts or replaces the terminal's key. */
  put(key: UploadKeyRecord): void {
    this.#upsert.run(key.terminalNumber, key.publicKey, key.proofIssuedAt, key.registeredAt);
  }
}

export class UploadInboxRepository {
  readonly #findBatch: Statement<[string], Record<string, string | number>>;
  readonly #insertBatch: Statement;
  readonly #setCounts: Statement;
  readonly #byCounter: Statement<[string, string, number], MatchRow>;
  readonly #byTtsn: Statement<[string, number], MatchRow>;
  readonly #insertRecord: Statement;
  readonly #byStatus: Statement<[string, number], InboxRow>;
  readonly #ofBatch: Statement<[string], InboxRow>;

  constructor(db: Database) {
    this.#findBatch = db.prepare('SELECT * FROM upload_batches WHERE batch_id = ?');
    this.#insertBatch = db.prepare(
      `INSERT INTO upload_batches (batch_id, terminal_number, digest, signature, public_key, created_at, received_at, record_count, accepted, duplicates, conflicts)
       VALUES (@batchId, @terminalNumber, @digest, @signature, @publicKey, @createdAt, @receivedAt, @recordCount, @accepted, @duplicates, @conflicts)`,
    );
    this.#setCounts = db.prepare('UPDATE upload_batches SET accepted = ?, duplicates = ?, conflicts = ? WHERE batch_id = ?');
    this.#byCounter = db.prepare('SELECT id, record_digest, conflict_of FROM upload_inbox WHERE kind = ? AND card_number = ? AND counter = ? ORDER BY id');
    this.#byTtsn = db.prepare(
      "SELECT id, record_digest, conflict_of FROM upload_inbox WHERE kind = 'purchase' AND terminal_number = ? AND ttsn = ? ORDER BY id",
    );
    this.#insertRecord = db.prepare(
      `INSERT INTO upload_inbox (batch_id, position, kind, card_number, counter, terminal_number, ttsn, amount, record_digest, record, conflict_of, status, status_at, received_at)
       VALUES (@batchId, @position, @kind, @cardNumber, @counter, @terminalNumber, @ttsn, @amount, @recordDigest, @record, @conflictOf, 'received', @receivedAt, @receivedAt)`,
    );
    this.#byStatus = db.prepare('SELECT * FROM upload_inbox WHERE status = ? ORDER BY id LIMIT ?');
    this.#ofBatch = db.prepare('SELECT * FROM upload_inbox WHERE batch_id = ? ORDER BY position');
  }

  findBatch(batchId: string): BatchRecord | undefined {
    const r = this.#findBatch.get(batchId);
    if (r === undefined) return undefined;
    return {
      batchId: String(r['batch_id']),
      terminalNumber: String(r['terminal_number']),
      digest: String(r['digest']),
      signature: String(r['signature']),
      publicKey: String(r['public_key']),
      createdAt: String(r['created_at']),
      receivedAt: String(r['received_at']),
      recordCount: Number(r['record_count']),
      accepted: Number(r['accepted']),
      duplicates: Number(r['duplicates']),
      conflicts: Number(r['conflicts']),
    };
  }

  insertBatch(batch: BatchRecord): void {
    this.#insertBatch.run(batch);
  }

  setBatchCounts(batchId: string, counts: { accepted: number; duplicates: number; conflicts: number }): void {
    this.#setCounts.run(counts.accepted, counts.duplicates, counts.conflicts, batchId);
  }

  /** Every stored row sharing either natural key with `key`, oldest first, without repeats. */
  matches(key: NaturalKey): KeyMatch[] {
    const rows = this.#byCounter.all(key.kind, key.cardNumber, key.counter).map(toMatch);
    if (key.kind === 'purchase' && key.ttsn !== null) {
      for (const m of this.#byTtsn.all(key.terminalNumber, key.ttsn)) {
        if (!rows.some((r) => r.id === m.id)) rows.push(toMatch(m));
      }
    }
    return rows.sort((a, b) => a.id - b.id);
  }

  /** Returns the new row's id. */
  insertRecord(record: NewInboxRecord): number {
    return Number(this.#insertRecord.run(record).lastInsertRowid);
  }

  /** Rows in a status, oldest first: what a clearing worker polls ('received' for new work). */
  byStatus(status: string, limit: number): InboxRecord[] {
    return this.#byStatus.all(status, limit).map(toInbox);
  }

  /** The rows one batch stored, in batch order. */
  ofBatch(batchId: string): InboxRecord[] {
    return this.#ofBatch.all(batchId).map(toInbox);
  }
}
