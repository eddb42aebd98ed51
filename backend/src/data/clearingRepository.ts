/**
 * All SQL of clearing's own records (migration 071) apart from the chain and the review queue:
 * the rows clearing refused to post, the inbox status it advances, cards flagged as cloned,
 * merchant fees, and the reads of other areas clearing decides on (which rows are cleared, a
 * row's earlier namesakes in the inbox, cards' hotlist histories). Prepared once; transactions
 * belong to the caller.
 */
import type { HotlistAction, HotlistReason } from '@citycard/protocols';
import type { Database, Statement } from 'better-sqlite3';
import type { InboxRecord } from './uploadInboxRepository.js';

export type Verdict = 'posted' | 'bad-tac' | 'duplicate' | 'clone';
export type Rejection = Exclude<Verdict, 'posted'>;

/** An earlier inbox row sharing a natural key with another, and its verdict once cleared (else null). */
export interface Namesake extends InboxRecord {
  readonly verdict: Verdict | null;
}

export interface CardFlagRecord {
  readonly cardNumber: string;
  readonly reason: 'clone';
  readonly inboxId: number;
  readonly flaggedAt: string;
  readonly hotlistedAt: string | null;
}

export interface HotlistHistoryEntry {
  readonly action: HotlistAction;
  readonly reason: HotlistReason;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
}

interface NamesakeRow {
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
  rejected: Rejection | null;
}

interface FlagRow {
  card_number: string;
  reason: 'clone';
  inbox_id: number;
  flagged_at: string;
  hotlisted_at: string | null;
}

const toFlag = (r: FlagRow): CardFlagRecord => ({
  cardNumber: r.card_number,
  reason: r.reason,
  inboxId: r.inbox_id,
  flaggedAt: r.flagged_at,
  hotlistedAt: r.hotlisted_at,
});

export class ClearingRepository {
  readonly #reject: Statement<[number, Rejection, string]>;
  readonly #advance: Statement<[string, string, number]>;
  readonly #namesakes: Statement<Record<string, string | number | null>, NamesakeRow>;
  readonly #flag: Statement<[string, number, string]>;
  readonly #pending: Statement<[], FlagRow>;
  readonly #hotlisted: Statement<[string, string]>;
  readonly #findFlag: Statement<[string], FlagRow>;
  readonly #fee: Statement<[string], { fee_bps: number }>;
  readonly #setFee: Statement<[string, number, string]>;
  readonly #history: Statement<[string], { card_number: string; action: HotlistAction; reason: HotlistReason; created_at: string }>;
  readonly #clearedAmong: Statement<[string], { id: number }>;

  constructor(db: Database) {
    this.#reject = db.prepare('INSERT INTO clearing_rejections (inbox_id, verdict, rejected_at) VALUES (?, ?, ?)');
    this.#advance = db.prepare("UPDATE upload_inbox SET status = ?, status_at = ? WHERE id = ? AND status = 'received'");
    // Both natural keys through their own indexes; a row matching both comes once (UNION).
    this.#namesakes = db.prepare(
      `SELECT i.*, r.verdict AS rejected
         FROM upload_inbox i LEFT JOIN clearing_rejections r ON r.inbox_id = i.id
        WHERE i.id < @id AND i.kind = @kind AND i.card_number = @cardNumber AND i.counter = @counter
       UNION
       SELECT i.*, r.verdict AS rejected
         FROM upload_inbox i LEFT JOIN clearing_rejections r ON r.inbox_id = i.id
        WHERE i.id < @id AND i.kind = 'purchase' AND i.terminal_number = @terminalNumber AND i.ttsn = @ttsn
       ORDER BY 1`,
    );
    this.#flag = db.prepare('INSERT INTO clearing_card_flags (card_number, reason, inbox_id, flagged_at) VALUES (?, \'clone\', ?, ?) ON CONFLICT DO NOTHING');
    this.#pending = db.prepare('SELECT * FROM clearing_card_flags WHERE hotlisted_at IS NULL ORDER BY flagged_at, card_number');
    this.#hotlisted = db.prepare('UPDATE clearing_card_flags SET hotlisted_at = ? WHERE card_number = ? AND hotlisted_at IS NULL');
    this.#findFlag = db.prepare('SELECT * FROM clearing_card_flags WHERE card_number = ?');
    this.#fee = db.prepare('SELECT fee_bps FROM clearing_merchant_fees WHERE merchant_id = ?');
    this.#setFee = db.prepare(
      `INSERT INTO clearing_merchant_fees (merchant_id, fee_bps, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (merchant_id) DO UPDATE SET fee_bps = excluded.fee_bps, updated_at = excluded.updated_at`,
    );
    // Read-only: the hotlist's own table, for when a card was listed (HOTLISTED_AFTER_BLOCK).
    this.#history = db.prepare(
      'SELECT card_number, action, reason, created_at FROM hotlist_entries WHERE card_number IN (SELECT value FROM json_each(?)) ORDER BY version',
    );
    this.#clearedAmong = db.prepare("SELECT id FROM upload_inbox WHERE id IN (SELECT value FROM json_each(?)) AND status <> 'received'");
  }

  /** Which of these inbox rows clearing has decided (one statement for any number of ids). */
  clearedAmong(inboxIds: readonly number[]): Set<number> {
    if (inboxIds.length === 0) return new Set();
    return new Set(this.#clearedAmong.all(JSON.stringify(inboxIds)).map((r) => r.id));
  }

  /** Records why a row does not post. Throws on a row already rejected. */
  reject(inboxId: number, verdict: Rejection, at: string): void {
    this.#reject.run(inboxId, verdict, at);
  }

  /** Moves a 'received' inbox row to `status`; false when it is not 'received'. */
  advanceInbox(inboxId: number, status: 'cleared' | 'exception', at: string): boolean {
    return this.#advance.run(status, at, inboxId).changes === 1;
  }

  /** Rows before `row` (lower id) sharing either of its natural keys, by id, with their verdicts. */
  namesakes(row: Pick<InboxRecord, 'id' | 'kind' | 'cardNumber' | 'counter' | 'terminalNumber' | 'ttsn'>): Namesake[] {
    return this.#namesakes
      .all({ id: row.id, kind: row.kind, cardNumber: row.cardNumber, counter: row.counter, terminalNumber: row.terminalNumber, ttsn: row.ttsn })
      .map((r) => ({
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
        verdict: r.status === 'cleared' ? 'posted' : r.status === 'exception' ? r.rejected : null,
      }));
  }

  /** Flags a card as cloned (the first clone row found stays the evidence); false when already flagged. */
  flagClone(cardNumber: string, inboxId: number, at: string): boolean {
    return this.#flag.run(cardNumber, inboxId, at).changes === 1;
  }

  flag(cardNumber: string): CardFlagRecord | undefined {
    const r = this.#findFlag.get(cardNumber);
    return r === undefined ? undefined : toFlag(r);
  }

  /** Flagged cards not yet on the hotlist, oldest first. */
  pendingHotlist(): CardFlagRecord[] {
    return this.#pending.all().map(toFlag);
  }

  markHotlisted(cardNumber: string, at: string): void {
    this.#hotlisted.run(at, cardNumber);
  }

  /** The merchant's own fee in basis points, if it has one. */
  merchantFeeBps(merchantId: string): number | undefined {
    return this.#fee.get(merchantId)?.fee_bps;
  }

  /** Sets the merchant's fee (basis points 0-10000; the table refuses others). */
  setMerchantFeeBps(merchantId: string, feeBps: number, at: string): void {
    this.#setFee.run(merchantId, feeBps, at);
  }

  /** Every hotlist change of these cards, oldest first, by card (cards never listed are absent). */
  hotlistHistories(cardNumbers: readonly string[]): Map<string, HotlistHistoryEntry[]> {
    const out = new Map<string, HotlistHistoryEntry[]>();
    if (cardNumbers.length === 0) return out;
    for (const r of this.#history.all(JSON.stringify(cardNumbers))) {
      const entry = { action: r.action, reason: r.reason, createdAt: r.created_at };
      const list = out.get(r.card_number);
      if (list === undefined) out.set(r.card_number, [entry]);
      else list.push(entry);
    }
    return out;
  }
}
