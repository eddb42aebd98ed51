import type { Database } from 'better-sqlite3';
import type { BalanceTransfer } from '../domain/cards/card.js';

interface TransferRow {
  id: string;
  from_card_id: string;
  to_card_id: string;
  due_at: string;
  status: BalanceTransfer['status'];
  created_at: string;
}

const toRecord = (r: TransferRow): BalanceTransfer => ({
  id: r.id,
  fromCardId: r.from_card_id,
  toCardId: r.to_card_id,
  dueAt: r.due_at,
  status: r.status,
  createdAt: r.created_at,
});

/** All SQL of the card_balance_transfers table (rows executed later by the clearing side). */
export class CardBalanceTransferRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  insert(t: BalanceTransfer): void {
    this.#db
      .prepare(
        `INSERT INTO card_balance_transfers (id, from_card_id, to_card_id, due_at, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(t.id, t.fromCardId, t.toCardId, t.dueAt, t.status, t.createdAt);
  }

  fromCard(fromCardId: string): BalanceTransfer | undefined {
    const row = this.#db
      .prepare<[string], TransferRow>('SELECT * FROM card_balance_transfers WHERE from_card_id = ?')
      .get(fromCardId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Scheduled transfers whose due time is at or before `at` (ISO-8601 UTC), oldest due first. */
  dueAt(at: string): BalanceTransfer[] {
    return this.#db
      .prepare<[string], TransferRow>(
        "SELECT * FROM card_balance_transfers WHERE status = 'scheduled' AND due_at <= ? ORDER BY due_at, id",
      )
      .all(at)
      .map(toRecord);
  }
}
