import type { Database } from 'better-sqlite3';
import type { Card, CardState } from '../domain/cards/card.js';

interface CardRow {
  id: string;
  cardholder_id: string;
  state: CardState;
  replaces_card_id: string | null;
  created_at: string;
  updated_at: string;
}

const toRecord = (r: CardRow): Card => ({
  id: r.id,
  cardholderId: r.cardholder_id,
  state: r.state,
  replacesCardId: r.replaces_card_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** All SQL of the cards table. */
export class CardRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  insert(c: Card): void {
    this.#db
      .prepare(
        `INSERT INTO cards (id, cardholder_id, state, replaces_card_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(c.id, c.cardholderId, c.state, c.replacesCardId, c.createdAt, c.updatedAt);
  }

  findById(id: string): Card | undefined {
    const row = this.#db.prepare<[string], CardRow>('SELECT * FROM cards WHERE id = ?').get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Cards of one cardholder, oldest first. */
  forCardholder(cardholderId: string): Card[] {
    return this.#db
      .prepare<[string], CardRow>('SELECT * FROM cards WHERE cardholder_id = ? ORDER BY created_at, id')
      .all(cardholderId)
      .map(toRecord);
  }

  /** The cardholder's card that is not replaced, revoked or expired, if any. */
  liveCardOf(cardholderId: string): Card | undefined {
    const row = this.#db
      .prepare<[string], CardRow>(
        "SELECT * FROM cards WHERE cardholder_id = ? AND state NOT IN ('replaced', 'revoked', 'expired') LIMIT 1",
      )
      .get(cardholderId);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The card's 16-digit number, null before personalization (undefined: no such card). */
  cardNumberOf(id: string): string | null | undefined {
    return this.#db.prepare<[string], { card_number: string | null }>('SELECT card_number FROM cards WHERE id = ?').get(id)
      ?.card_number;
  }

  /** The card holding this number, if any. */
  findByCardNumber(cardNumber: string): Card | undefined {
    const row = this.#db.prepare<[string], CardRow>('SELECT * FROM cards WHERE card_number = ?').get(cardNumber);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The id of the card holding this number, if any. */
  idByCardNumber(cardNumber: string): string | undefined {
    return this.#db.prepare<[string], { id: string }>('SELECT id FROM cards WHERE card_number = ?').get(cardNumber)?.id;
  }

  /** Sets the number once; false when the card already has one. */
  setCardNumber(id: string, cardNumber: string): boolean {
    return (
      this.#db.prepare('UPDATE cards SET card_number = ? WHERE id = ? AND card_number IS NULL').run(cardNumber, id).changes === 1
    );
  }

  /** Compare-and-set of the state; false when the card was not in `from` any more. */
  updateState(id: string, from: CardState, to: CardState, at: string): boolean {
    return (
      this.#db.prepare('UPDATE cards SET state = ?, updated_at = ? WHERE id = ? AND state = ?').run(to, at, id, from)
        .changes === 1
    );
  }
}
