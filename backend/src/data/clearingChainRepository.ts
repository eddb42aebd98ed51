/**
 * All SQL of the facts clearing's checks run on (migration 071): the posted records of each card
 * in its two counter chains with their place in the balance chain (clearing_chain), and the TTSNs
 * each PSAM is known to have issued (clearing_ttsns). Prepared once; transactions belong to the caller.
 */
import type { Database, Statement } from 'better-sqlite3';

export type ChainKind = 'purchase' | 'load';

/** One posted record of a card's chain, placed in it. */
export interface ChainRow {
  readonly cardNumber: string;
  readonly kind: ChainKind;
  readonly counter: number;
  readonly balanceBefore: number;
  readonly amount: number;
  /** `YYYYMMDDhhmmss`. */
  readonly txTime: string;
  readonly inboxId: number;
  /** Place in the card's merged sequence, 0 first. */
  readonly step: number;
  /** Chain state after this record: the last purchase and load counters taken (-1: none). */
  readonly lastPurchase: number;
  readonly lastLoad: number;
  /** The balance the chain expected when the record's differs (a mismatch); else null. */
  readonly expectedBefore: number | null;
}

/** A known number of a series (counter or TTSN) and the inbox row that brought it. */
export interface Known {
  readonly n: number;
  readonly inboxId: number;
}

interface Row {
  card_number: string;
  kind: ChainKind;
  counter: number;
  balance_before: number;
  amount: number;
  tx_time: string;
  inbox_id: number;
  step: number;
  last_purchase: number;
  last_load: number;
  expected_before: number | null;
}

const toChainRow = (r: Row): ChainRow => ({
  cardNumber: r.card_number,
  kind: r.kind,
  counter: r.counter,
  balanceBefore: r.balance_before,
  amount: r.amount,
  txTime: r.tx_time,
  inboxId: r.inbox_id,
  step: r.step,
  lastPurchase: r.last_purchase,
  lastLoad: r.last_load,
  expectedBefore: r.expected_before,
});

function byCounter(a: ChainRow, b: ChainRow): number {
  return a.counter - b.counter;
}

export class ClearingChainRepository {
  readonly #insert: Statement<[string, ChainKind, number, number, number, string, number, number, number, number, number | null]>;
  readonly #update: Statement<[number, number, number, number | null, string, ChainKind, number]>;
  readonly #predecessor: Statement<[string, ChainKind, number], Row>;
  readonly #tail: Statement<[string, number, string, number], Row>;
  readonly #insertTtsn: Statement<[string, number, number]>;
  readonly #ttsnWindow: Statement<[string, number, string, number, number, string, number], { n: number; inbox_id: number }>;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT INTO clearing_chain (card_number, kind, counter, balance_before, amount, tx_time, inbox_id, step, last_purchase, last_load, expected_before)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#update = db.prepare(
      'UPDATE clearing_chain SET step = ?, last_purchase = ?, last_load = ?, expected_before = ? WHERE card_number = ? AND kind = ? AND counter = ?',
    );
    this.#predecessor = db.prepare('SELECT * FROM clearing_chain WHERE card_number = ? AND kind = ? AND counter < ? ORDER BY counter DESC LIMIT 1');
    // One statement, two range scans of the primary key.
    this.#tail = db.prepare(
      `SELECT * FROM clearing_chain WHERE card_number = ? AND kind = 'purchase' AND counter > ?
       UNION ALL
       SELECT * FROM clearing_chain WHERE card_number = ? AND kind = 'load' AND counter > ?`,
    );
    this.#insertTtsn = db.prepare('INSERT INTO clearing_ttsns (terminal_number, ttsn, inbox_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.#ttsnWindow = db.prepare(
      `SELECT * FROM (SELECT ttsn AS n, inbox_id FROM clearing_ttsns WHERE terminal_number = ? AND ttsn < ? ORDER BY ttsn DESC LIMIT 1)
       UNION ALL
       SELECT ttsn AS n, inbox_id FROM clearing_ttsns WHERE terminal_number = ? AND ttsn BETWEEN ? AND ?
       UNION ALL
       SELECT * FROM (SELECT ttsn AS n, inbox_id FROM clearing_ttsns WHERE terminal_number = ? AND ttsn > ? ORDER BY ttsn LIMIT 1)`,
    );
  }

  /** Adds a posted record with its place. Throws on a (card, kind, counter) already held. */
  insert(r: ChainRow): void {
    this.#insert.run(r.cardNumber, r.kind, r.counter, r.balanceBefore, r.amount, r.txTime, r.inboxId, r.step, r.lastPurchase, r.lastLoad, r.expectedBefore);
  }

  /** Moves a record to another place in the chain. */
  update(r: Pick<ChainRow, 'cardNumber' | 'kind' | 'counter' | 'step' | 'lastPurchase' | 'lastLoad' | 'expectedBefore'>): void {
    this.#update.run(r.step, r.lastPurchase, r.lastLoad, r.expectedBefore, r.cardNumber, r.kind, r.counter);
  }

  /** The card's record with the highest counter below `counter` in the chain of `kind`, if any. */
  predecessor(cardNumber: string, kind: ChainKind, counter: number): ChainRow | undefined {
    const r = this.#predecessor.get(cardNumber, kind, counter);
    return r === undefined ? undefined : toChainRow(r);
  }

  /** The card's purchases with a counter above `afterPurchase` and loads above `afterLoad`, each by counter. */
  tail(cardNumber: string, afterPurchase: number, afterLoad: number): { purchases: ChainRow[]; loads: ChainRow[] } {
    const purchases: ChainRow[] = [];
    const loads: ChainRow[] = [];
    for (const r of this.#tail.all(cardNumber, afterPurchase, cardNumber, afterLoad)) (r.kind === 'purchase' ? purchases : loads).push(toChainRow(r));
    return { purchases: purchases.sort(byCounter), loads: loads.sort(byCounter) };
  }

  /** Records that the PSAM of `terminalNumber` issued `ttsn`; false when already known. */
  addTtsn(terminalNumber: string, ttsn: number, inboxId: number): boolean {
    return this.#insertTtsn.run(terminalNumber, ttsn, inboxId).changes === 1;
  }

  /** The terminal's known TTSNs from `from` to `to`, and the nearest one on either side, ascending. */
  ttsnWindow(terminalNumber: string, from: number, to: number): Known[] {
    return this.#ttsnWindow
      .all(terminalNumber, from, terminalNumber, from, to, terminalNumber, to)
      .map((r) => ({ n: r.n, inboxId: r.inbox_id }))
      .sort((a, b) => a.n - b.n);
  }
}
