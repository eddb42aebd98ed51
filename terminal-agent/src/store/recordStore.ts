/**
 * The terminal's durable record of purse transactions (SQLite, WAL, synchronous FULL): a record
 * is on disk before the terminal tells anyone the payment is done. Natural keys make storing
 * idempotent: a purchase is (card number, offline counter), and also (terminal, TTSN); a load is
 * (card number, online counter). Each record keeps its whole APDU trail.
 *
 * Purchase intents (see storedIntent.ts) close the gap around DEBIT: `writeIntent` is durable
 * before DEBIT is sent, and `completeIntent` stores the record and resolves the intent in one
 * transaction, so after a power cut at any instant either the record is stored or an intent is
 * pending for recovery. The store also serves the risk policy (`purchasedSince`) and the upload
 * outbox (`unuploaded`, `markUploaded`, `uploadBacklog`). The schema is versioned (storeSchema.ts):
 * older files are upgraded when opened.
 */
import Database from 'better-sqlite3';
import type { LoadRecord, PendingPurchase, PurchaseRecord } from '../purse/purseRecords.js';
import {
  IntentMismatchError,
  IntentNotFoundError,
  IntentStateError,
  RecordNotFoundError,
} from './storeErrors.js';
import type { IntentResolution, IntentStatus, StoredIntent } from './storedIntent.js';
import { migrateStore } from './storeSchema.js';

export type PurseRecord = PurchaseRecord | LoadRecord;

export interface RecordStoreOptions {
  /**
   * Whether a commit is on disk when it returns (SQLite `synchronous = FULL`; default true).
   * With false nothing is fsynced: commits survive a killed process (the OS still writes them)
   * but not an OS crash or power cut. Only for tests and benchmarks of process crashes.
   */
  readonly sync?: boolean | undefined;
}

/** A stored record awaiting upload, with the id `markUploaded` takes. */
export interface OutboxEntry {
  readonly id: number;
  readonly record: PurseRecord;
}

interface IntentRow {
  id: number;
  card_number: string;
  offline_counter: number;
  terminal: string;
  ttsn: number;
  amount: number;
  pending: string;
  written_at: string;
  status: IntentStatus;
  detail: string | null;
  record_id: number | null;
  resolved_at: string | null;
}

interface RecordKeyRow {
  id: number;
  terminal: string;
  ttsn: number | null;
}

const INTENT_COLUMNS = 'id, card_number, offline_counter, terminal, ttsn, amount, pending, written_at, status, detail, record_id, resolved_at';
const PENDING_INTENTS = `SELECT ${INTENT_COLUMNS} FROM purchase_intent WHERE status = 'pending' ORDER BY id`;
const PENDING_INTENTS_OF_CARD = `SELECT ${INTENT_COLUMNS} FROM purchase_intent WHERE status = 'pending' AND card_number = ? ORDER BY id`;
const UNRECOVERABLE_INTENTS = `SELECT ${INTENT_COLUMNS} FROM purchase_intent WHERE status = 'unrecoverable' ORDER BY id`;
const EXPIRE_INTENTS = `UPDATE purchase_intent SET status = 'unrecoverable', detail = ?, resolved_at = ?
  WHERE status = 'pending' AND written_at < ?`;
// An intent whose (card, counter) has a record is either that record or certainly not committed.
const PURCHASED_SINCE = `SELECT
    (SELECT COALESCE(SUM(amount), 0) FROM purse_record
      WHERE kind = 'purchase' AND card_number = @card AND stored_at >= @at)
  + (SELECT COALESCE(SUM(i.amount), 0) FROM purchase_intent i
      WHERE i.card_number = @card AND i.written_at >= @at AND i.status IN ('pending', 'unrecoverable')
        AND NOT EXISTS (SELECT 1 FROM purse_record r
                         WHERE r.kind = 'purchase' AND r.card_number = i.card_number AND r.counter = i.offline_counter)) AS total`;
const PURCHASES_OF_CARD = `SELECT record FROM purse_record WHERE kind = 'purchase' AND card_number = ? ORDER BY counter`;
const UNUPLOADED = 'SELECT id, record FROM purse_record WHERE uploaded_batch IS NULL ORDER BY id LIMIT ?';

export class RecordStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #count: Database.Statement;
  readonly #purchaseKey: Database.Statement;
  readonly #insertIntent: Database.Statement;
  readonly #intentById: Database.Statement;
  readonly #intentByTtsn: Database.Statement;
  readonly #resolve: Database.Statement;
  readonly #statements = new Map<string, Database.Statement>();

  /**
   * Open or create the store at `file`, upgrading an older schema. Throws `StoreVersionError` for
   * a file written by newer software, and what better-sqlite3 throws for an unusable file.
   */
  constructor(file: string, options: RecordStoreOptions = {}) {
    this.#db = new Database(file);
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${options.sync === false ? 'OFF' : 'FULL'}`);
      migrateStore(this.#db);
    } catch (err) {
      this.#db.close();
      throw err;
    }
    this.#insert = this.#db.prepare(
      `INSERT INTO purse_record (kind, card_number, counter, terminal, ttsn, amount, date, time, tac, record, stored_at)
       VALUES (@kind, @cardNumber, @counter, @terminal, @ttsn, @amount, @date, @time, @tac, @record, @storedAt)
       ON CONFLICT DO NOTHING`,
    );
    this.#count = this.#db.prepare('SELECT COUNT(*) AS n FROM purse_record');
    this.#purchaseKey = this.#db.prepare(
      `SELECT id, terminal, ttsn FROM purse_record WHERE kind = 'purchase' AND card_number = ? AND counter = ?`,
    );
    this.#insertIntent = this.#db.prepare(
      `INSERT INTO purchase_intent (card_number, offline_counter, terminal, ttsn, amount, pending, written_at)
       VALUES (@cardNumber, @offlineCounter, @terminal, @ttsn, @amount, @pending, @writtenAt)`,
    );
    this.#intentById = this.#stmt(`SELECT ${INTENT_COLUMNS} FROM purchase_intent WHERE id = ?`);
    this.#intentByTtsn = this.#stmt(`SELECT ${INTENT_COLUMNS} FROM purchase_intent WHERE terminal = ? AND ttsn = ?`);
    this.#resolve = this.#db.prepare(
      `UPDATE purchase_intent SET status = @status, detail = @detail, record_id = @recordId, resolved_at = @resolvedAt
       WHERE id = @id AND status = 'pending'`,
    );
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

  /**
   * Write, durably, that the purchase `pending` is about to be debited; returns the intent's id.
   * Call it after MAC1 and before DEBIT (the `beforeDebit` hook of `purchaseOffline`). Writing the
   * same pending purchase again while it is pending returns the same id. Throws
   * `IntentMismatchError` when another intent already holds its (terminal, TTSN): the PSAM
   * repeated a TTSN, so nothing must be debited.
   */
  writeIntent(pending: PendingPurchase, now: Date = new Date()): number {
    const write = this.#db.transaction((): number => {
      const existing = this.#intentByTtsn.get(pending.terminal, pending.ttsn) as IntentRow | undefined;
      if (existing !== undefined) {
        if (existing.status === 'pending' && existing.card_number === pending.cardNumber && existing.offline_counter === pending.offlineCounter && existing.amount === pending.amount) {
          return existing.id;
        }
        throw new IntentMismatchError(`terminal ${pending.terminal} TTSN ${pending.ttsn} already has intent ${existing.id}`, existing.id);
      }
      const info = this.#insertIntent.run({
        cardNumber: pending.cardNumber,
        offlineCounter: pending.offlineCounter,
        terminal: pending.terminal,
        ttsn: pending.ttsn,
        amount: pending.amount,
        pending: JSON.stringify(pending),
        writtenAt: now.toISOString(),
      });
      return Number(info.lastInsertRowid);
    });
    return write.immediate();
  }

  /**
   * Store the purchase's record and resolve intent `id` with it, in one transaction: `recovered`
   * when `record.recovered`, else `completed`. Returns false when the record was stored already
   * (e.g. completing twice). Throws `IntentNotFoundError`; `IntentStateError` for an intent
   * resolved `notCommitted` or `unrecoverable`; `IntentMismatchError` when the record is not the
   * intent's purchase or another purchase holds its (card number, offline counter).
   */
  completeIntent(id: number, record: PurchaseRecord, now: Date = new Date()): boolean {
    const complete = this.#db.transaction((): boolean => {
      const row = this.#intentRow(id);
      const status: IntentStatus = record.recovered ? 'recovered' : 'completed';
      if (row.status !== 'pending' && row.status !== 'completed' && row.status !== 'recovered') {
        throw new IntentStateError(id, row.status, status);
      }
      if (!isIntentsPurchase(row, record)) {
        throw new IntentMismatchError(`record of card ${record.cardNumber} counter ${record.offlineCounter} is not the purchase of intent ${id}`, id);
      }
      const stored = this.put(record, now);
      const recordId = this.#ownRecordId(row);
      // put() kept nothing and the key holds nothing: another purchase holds the (terminal, TTSN).
      if (recordId === null) throw new IntentMismatchError(`terminal ${row.terminal} TTSN ${row.ttsn} is stored for another purchase`, id);
      this.#resolve.run({ id, status, detail: null, recordId, resolvedAt: now.toISOString() });
      return stored;
    });
    return complete.immediate();
  }

  /**
   * Resolve pending intent `id` without a new record: `notCommitted` (the card never debited),
   * `unrecoverable` (no proof can be had; kept for reporting), or `recovered` when the recovered
   * record is already stored. Resolving again the same way does nothing. Throws
   * `IntentNotFoundError`; `IntentStateError` for an intent resolved otherwise;
   * `IntentMismatchError` for `recovered` when no record of the intent's purchase is stored.
   */
  resolveIntent(id: number, how: IntentResolution, detail: string, now: Date = new Date()): void {
    const resolve = this.#db.transaction((): void => {
      const row = this.#intentRow(id);
      if (row.status === how) return;
      if (row.status !== 'pending') throw new IntentStateError(id, row.status, how);
      const recordId = how === 'recovered' ? this.#ownRecordId(row) : null;
      if (how === 'recovered' && recordId === null) {
        throw new IntentMismatchError(`intent ${id} cannot be recovered: its record is not stored`, id);
      }
      this.#resolve.run({ id, status: how, detail, recordId, resolvedAt: now.toISOString() });
    });
    resolve.immediate();
  }

  /**
   * Resolve as `unrecoverable` (with `detail`) every pending intent written before
   * `writtenBefore`: their cards were not presented again within the recovery window. Returns how
   * many were resolved.
   */
  expireIntents(writtenBefore: Date, detail: string, now: Date = new Date()): number {
    return this.#stmt(EXPIRE_INTENTS).run(detail, now.toISOString(), writtenBefore.toISOString()).changes;
  }

  /** Intents still pending (of `cardNumber` only, when given), oldest first. */
  pendingIntents(cardNumber?: string): StoredIntent[] {
    const rows = cardNumber === undefined ? this.#stmt(PENDING_INTENTS).all() : this.#stmt(PENDING_INTENTS_OF_CARD).all(cardNumber);
    return (rows as IntentRow[]).map(intentOf);
  }

  /** Intents resolved `unrecoverable`, oldest first, with the reason in `detail`. */
  unrecoverableIntents(): StoredIntent[] {
    const rows = this.#stmt(UNRECOVERABLE_INTENTS).all();
    return (rows as IntentRow[]).map(intentOf);
  }

  /** Intent `id`, whatever its state; undefined when there is none. */
  intent(id: number): StoredIntent | undefined {
    const row = this.#intentById.get(id) as IntentRow | undefined;
    return row === undefined ? undefined : intentOf(row);
  }

  /**
   * Fen spent by card `cardNumber` at this terminal since `since`: stored purchases (by the time
   * they were stored) plus intents that may have debited without a record (pending or
   * unrecoverable, by the time they were written). Completed intents count once, as records.
   */
  purchasedSince(cardNumber: string, since: Date): number {
    const row = this.#stmt(PURCHASED_SINCE).get({ card: cardNumber, at: since.toISOString() }) as { total: number };
    return row.total;
  }

  /** The stored purchases of card `cardNumber`, by offline counter. */
  purchases(cardNumber: string): PurchaseRecord[] {
    const rows = this.#stmt(PURCHASES_OF_CARD).all(cardNumber) as { record: string }[];
    return rows.map((row) => JSON.parse(row.record) as PurchaseRecord);
  }

  /**
   * Up to `limit` records not yet uploaded, oldest first. Throws `RangeError` unless `limit` is
   * an integer 0 to 2^31-1.
   */
  unuploaded(limit: number): OutboxEntry[] {
    if (!Number.isInteger(limit) || limit < 0 || limit > 0x7fffffff) {
      throw new RangeError(`limit must be an integer 0 to 2147483647, got ${limit}`);
    }
    const rows = this.#stmt(UNUPLOADED).all(limit) as { id: number; record: string }[];
    return rows.map((row) => ({ id: row.id, record: JSON.parse(row.record) as PurseRecord }));
  }

  /**
   * Mark records `ids` as uploaded in batch `batchId`, all or none. A record already marked keeps
   * its first batch. Throws `RangeError` for an empty `batchId`, `RecordNotFoundError` for an id
   * the store does not hold (then nothing is marked).
   */
  markUploaded(ids: readonly number[], batchId: string, now: Date = new Date()): void {
    if (typeof batchId !== 'string' || batchId.length === 0) throw new RangeError('batchId must be a non-empty string');
    const exists = this.#db.prepare('SELECT 1 FROM purse_record WHERE id = ?').pluck();
    const mark = this.#db.prepare('UPDATE purse_record SET uploaded_batch = ?, uploaded_at = ? WHERE id = ? AND uploaded_batch IS NULL');
    const markAll = this.#db.transaction((): void => {
      for (const id of ids) {
        if (exists.get(id) === undefined) throw new RecordNotFoundError(id);
        mark.run(batchId, now.toISOString(), id);
      }
    });
    markAll.immediate();
  }

  /** Records not yet uploaded. */
  uploadBacklog(): number {
    return (this.#stmt('SELECT COUNT(*) AS n FROM purse_record WHERE uploaded_batch IS NULL').get() as { n: number }).n;
  }

  close(): void {
    this.#db.close();
  }

  /** A prepared statement, prepared once per store. */
  #stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #intentRow(id: number): IntentRow {
    const row = this.#intentById.get(id) as IntentRow | undefined;
    if (row === undefined) throw new IntentNotFoundError(id);
    return row;
  }

  /** The stored record of the intent's purchase, or null; throws when another purchase holds its key. */
  #ownRecordId(row: IntentRow): number | null {
    const stored = this.#purchaseKey.get(row.card_number, row.offline_counter) as RecordKeyRow | undefined;
    if (stored === undefined) return null;
    if (stored.terminal !== row.terminal || stored.ttsn !== row.ttsn) {
      throw new IntentMismatchError(
        `card ${row.card_number} counter ${row.offline_counter} is stored as terminal ${stored.terminal} TTSN ${stored.ttsn}, not intent ${row.id}'s`,
        row.id,
      );
    }
    return stored.id;
  }
}

function isIntentsPurchase(row: IntentRow, record: PurchaseRecord): boolean {
  return (
    record.kind === 'purchase' &&
    record.cardNumber === row.card_number &&
    record.offlineCounter === row.offline_counter &&
    record.terminal === row.terminal &&
    record.ttsn === row.ttsn &&
    record.amount === row.amount
  );
}

function intentOf(row: IntentRow): StoredIntent {
  return {
    id: row.id,
    pending: JSON.parse(row.pending) as PendingPurchase,
    writtenAt: new Date(row.written_at),
    status: row.status,
    detail: row.detail ?? undefined,
    recordId: row.record_id ?? undefined,
    resolvedAt: row.resolved_at === null ? undefined : new Date(row.resolved_at),
  };
}
