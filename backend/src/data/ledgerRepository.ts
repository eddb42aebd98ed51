/**
 * All SQL of the ledger (migration 070): journal entries, their lines, and accounts with running
 * balances. Statements are prepared once; transactions belong to the caller. Plain typed records
 * in and out.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Account, AccountRole } from '../domain/ledger/accounts.js';
import type { EntryKind, Posting } from '../domain/ledger/posting.js';
import { MultiRowInsert, type SqlValue } from './multiRowInsert.js';

/** A stored journal entry. */
export interface LedgerEntry extends Posting {
  readonly id: number;
  /** ISO-8601 UTC time the entry was written (the ledger's clock). */
  readonly postedAt: string;
}

/** One line of an entry: signed fen (debit > 0, credit < 0). */
export interface LineWrite {
  readonly account: string;
  readonly amount: number;
}

/** A change of an account's running balance, on its normal side; creates the account when new. */
export interface BalanceChange {
  readonly account: Account;
  readonly delta: number;
}

export interface MerchantSums {
  readonly gross: number;
  readonly fees: number;
  readonly count: number;
}

interface EntryRow {
  id: number;
  key: string;
  kind: EntryKind;
  card_number: string;
  to_card_number: string | null;
  merchant_id: string | null;
  amount: number;
  fee_bps: number | null;
  fee: number;
  at: string;
  ref: string | null;
  posted_at: string;
}

const toEntry = (r: EntryRow): LedgerEntry => ({
  id: r.id,
  key: r.key,
  kind: r.kind,
  cardNumber: r.card_number,
  toCardNumber: r.to_card_number,
  merchantId: r.merchant_id,
  amount: r.amount,
  feeBps: r.fee_bps,
  fee: r.fee,
  at: r.at,
  ref: r.ref,
  postedAt: r.posted_at,
});

/** A validated posting with the id it is stored under. */
export interface NewEntry extends Posting {
  readonly id: number;
}

/** One line as written: signed fen (debit > 0, credit < 0) on an account of an entry. */
export interface NewLine extends LineWrite {
  readonly entryId: number;
}

const ENTRY_COLUMNS = 12;
const LINE_COLUMNS = 3;
const ACCOUNT_COLUMNS = 7;

export class LedgerRepository {
  readonly #maxId: Statement<[], { id: number | null }>;
  readonly #insertEntries: MultiRowInsert;
  readonly #entryByKey: Statement<[string], EntryRow>;
  readonly #entriesByKeys: Statement<[string], EntryRow>;
  readonly #addToBalances: MultiRowInsert;
  readonly #insertLines: MultiRowInsert;
  readonly #balance: Statement<[string], { balance: number }>;
  readonly #merchantSums: Statement<[string, string, string], { gross: number; fees: number; count: number }>;
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    this.#maxId = db.prepare('SELECT MAX(id) AS id FROM ledger_entries');
    // Ids are given, not left to SQLite: the lines of a batch are written with their entry's id
    // without reading it back. The caller holds the write lock, so max(id) + 1 is what SQLite
    // would have chosen; a key already taken still fails on the UNIQUE index.
    this.#insertEntries = new MultiRowInsert(
      db,
      'INSERT INTO ledger_entries (id, key, kind, card_number, to_card_number, merchant_id, amount, fee_bps, fee, at, ref, posted_at)',
      ENTRY_COLUMNS,
    );
    this.#entryByKey = db.prepare('SELECT * FROM ledger_entries WHERE key = ?');
    this.#entriesByKeys = db.prepare('SELECT * FROM ledger_entries WHERE key IN (SELECT value FROM json_each(?))');
    // Many accounts per statement: an UPSERT of one row each measured twice the cost of an
    // UPDATE (with an INSERT for a new account), but 64 rows per UPSERT cost a third of it.
    this.#addToBalances = new MultiRowInsert(
      db,
      'INSERT INTO ledger_accounts (name, type, role, card_number, merchant_id, balance, created_at)',
      ACCOUNT_COLUMNS,
      'ON CONFLICT (name) DO UPDATE SET balance = balance + excluded.balance',
    );
    this.#insertLines = new MultiRowInsert(db, 'INSERT INTO ledger_lines (entry_id, account, amount)', LINE_COLUMNS);
    this.#balance = db.prepare('SELECT balance FROM ledger_accounts WHERE name = ?');
    this.#merchantSums = db.prepare(
      `SELECT COALESCE(SUM(amount), 0) AS gross, COALESCE(SUM(fee), 0) AS fees, COUNT(*) AS count
       FROM ledger_entries WHERE merchant_id = ? AND at >= ? AND at < ?`,
    );
  }

  /** The highest entry id, 0 for an empty journal. */
  maxEntryId(): number {
    return this.#maxId.get()?.id ?? 0;
  }

  /**
   * Inserts entries under their given ids (each above maxEntryId, without repeats).
   * @throws the driver's UNIQUE constraint error when a key is already taken.
   */
  insertEntries(entries: readonly NewEntry[], postedAt: string): void {
    const values: SqlValue[] = [];
    for (const p of entries) values.push(p.id, p.key, p.kind, p.cardNumber, p.toCardNumber, p.merchantId, p.amount, p.feeBps, p.fee, p.at, p.ref, postedAt);
    this.#insertEntries.run(values);
  }

  entryByKey(key: string): LedgerEntry | undefined {
    const row = this.#entryByKey.get(key);
    return row === undefined ? undefined : toEntry(row);
  }

  /** The stored entries among these keys, by key (one statement for any number of keys). */
  entriesByKeys(keys: readonly string[]): Map<string, LedgerEntry> {
    const out = new Map<string, LedgerEntry>();
    if (keys.length === 1) {
      const one = this.entryByKey(keys[0]!);
      if (one !== undefined) out.set(one.key, one);
    } else if (keys.length > 1) {
      for (const row of this.#entriesByKeys.all(JSON.stringify(keys))) out.set(row.key, toEntry(row));
    }
    return out;
  }

  /**
   * Adds each delta to its account's running balance, creating accounts on first use (`at` is
   * their created_at). One change per account. Must run before insertLines: lines reference
   * their accounts.
   */
  changeBalances(changes: readonly BalanceChange[], at: string): void {
    const values: SqlValue[] = [];
    for (const { account: a, delta } of changes) values.push(a.name, a.type, a.role, a.cardNumber, a.merchantId, delta, at);
    this.#addToBalances.run(values);
  }

  /** Appends lines; at most one per entry and account. */
  insertLines(lines: readonly NewLine[]): void {
    const values: SqlValue[] = [];
    for (const l of lines) values.push(l.entryId, l.account, l.amount);
    this.#insertLines.run(values);
  }

  /** Running balance on the account's normal side; 0 for an account not yet used. */
  balanceOf(account: string): number {
    return this.#balance.get(account)?.balance ?? 0;
  }

  /** Purchases of one merchant with from <= at < to (ISO strings). */
  merchantSums(merchantId: string, from: string, to: string): MerchantSums {
    return this.#merchantSums.get(merchantId, from, to) ?? { gross: 0, fees: 0, count: 0 };
  }

  /**
   * Marks a replacement balance transfer (card_balance_transfers, migration 012) executed;
   * false when it is not scheduled (already executed or cancelled).
   */
  markTransferExecuted(transferId: string): boolean {
    // Prepared here, not up front: the hot path needs no other table than the ledger's.
    return this.#db.prepare("UPDATE card_balance_transfers SET status = 'executed' WHERE id = ? AND status = 'scheduled'").run(transferId).changes === 1;
  }
}

export interface DriftingAccount {
  readonly account: string;
  /** The running balance column. */
  readonly balance: number;
  /** The balance its lines add up to. */
  readonly fromLines: number;
}

export interface UnbalancedEntry {
  readonly entryId: number;
  /** Sum of its lines (0 for a balanced entry); an entry without lines has sum 0 and lineCount 0. */
  readonly sum: number;
  readonly lineCount: number;
}

/**
 * The read-only queries of the conservation check. Full scans: meant for the check command and
 * tests, not for the clearing hot path. Works on a read-only connection.
 */
export class LedgerReportRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Whether migration 070 is applied. */
  static present(db: Database): boolean {
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_entries'").get() !== undefined;
  }

  entryCount(): number {
    return this.#db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM ledger_entries').get()?.n ?? 0;
  }

  /** Sum of entry amounts by kind. */
  totalsByKind(): Map<EntryKind, number> {
    const rows = this.#db.prepare<[], { kind: EntryKind; total: number }>('SELECT kind, SUM(amount) AS total FROM ledger_entries GROUP BY kind').all();
    return new Map(rows.map((r) => [r.kind, r.total]));
  }

  /** Sum of running balances, number of accounts and of negative balances, by role. */
  balancesByRole(): Map<AccountRole, { total: number; accounts: number; negative: number }> {
    const rows = this.#db
      .prepare<[], { role: AccountRole; total: number; accounts: number; negative: number }>(
        'SELECT role, SUM(balance) AS total, COUNT(*) AS accounts, SUM(balance < 0) AS negative FROM ledger_accounts GROUP BY role',
      )
      .all();
    return new Map(rows.map((r) => [r.role, { total: r.total, accounts: r.accounts, negative: r.negative }]));
  }

  /** Sum of all debits and of all credits (both as positive numbers). */
  debitsAndCredits(): { debits: number; credits: number } {
    const row = this.#db
      .prepare<[], { debits: number; credits: number }>(
        'SELECT COALESCE(SUM(MAX(amount, 0)), 0) AS debits, COALESCE(-SUM(MIN(amount, 0)), 0) AS credits FROM ledger_lines',
      )
      .get();
    return row ?? { debits: 0, credits: 0 };
  }

  /** Entries whose lines do not sum to zero, or that have fewer than two lines; at most `limit`, by id. */
  unbalancedEntries(limit: number): { count: number; first: UnbalancedEntry[] } {
    const sql = `SELECT e.id AS entryId, COALESCE(SUM(l.amount), 0) AS sum, COUNT(l.account) AS lineCount
       FROM ledger_entries e LEFT JOIN ledger_lines l ON l.entry_id = e.id
       GROUP BY e.id HAVING sum <> 0 OR lineCount < 2`;
    const count = this.#db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM (${sql})`).get()?.n ?? 0;
    const first = this.#db.prepare<[number], UnbalancedEntry>(`${sql} ORDER BY e.id LIMIT ?`).all(limit);
    return { count, first };
  }

  /** Accounts whose running balance differs from the sum of their lines; at most `limit`, by name. */
  driftingAccounts(limit: number): { count: number; first: DriftingAccount[] } {
    const sql = `SELECT a.name AS account, a.balance AS balance,
         (CASE a.type WHEN 'asset' THEN 1 ELSE -1 END) * COALESCE(s.total, 0) AS fromLines
       FROM ledger_accounts a LEFT JOIN (SELECT account, SUM(amount) AS total FROM ledger_lines GROUP BY account) s ON s.account = a.name
       WHERE a.balance <> (CASE a.type WHEN 'asset' THEN 1 ELSE -1 END) * COALESCE(s.total, 0)`;
    const count = this.#db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM (${sql})`).get()?.n ?? 0;
    const first = this.#db.prepare<[number], DriftingAccount>(`${sql} ORDER BY a.name LIMIT ?`).all(limit);
    return { count, first };
  }
}
