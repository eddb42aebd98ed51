/**
 * The double-entry ledger: exact lines and balances per kind of posting (fee rounded down),
 * idempotent re-posts, conflicts that write nothing, batches that commit or roll back whole,
 * postings inside a caller's transaction, card transfers, the append-only triggers, and the
 * conservation report with its exact values, its failures and the `backend ledger check` output.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate, readMigrations } from '../../backend/src/data/migrate.js';
import {
  InvalidPostingError,
  Ledger,
  LedgerConflictError,
  LedgerMissingError,
  type PostingRequest,
  checkConservation,
  feeOf,
  formatConservationReport,
  runLedgerCheck,
} from '../../backend/src/domain/ledger/index.js';

const POSTED_AT = '2026-05-01T12:00:00.000Z';
const clock = (): Date => new Date(POSTED_AT);

const CARD_A = '1000000000000001';
const CARD_B = '1000000000000002';
const CARD_C = '1000000000000003';
const CARD_D = '1000000000000004';
const MERCHANT_1 = 'M-0001';
const MERCHANT_2 = 'M-0002';
const AT_0930 = '2026-05-01T09:30:00.000Z';
const AT_1000 = '2026-05-01T10:00:00.000Z';
const AT_1100 = '2026-05-01T11:00:00.000Z';

const LOAD_A: PostingRequest = { key: `load:${CARD_A}:0`, kind: 'load', cardNumber: CARD_A, amount: 10_000, at: AT_0930, ref: 'inbox:1' };
/** The example: 1,999 fen at 0.6 % is a fee of 11 fen (11.994 rounded down), net 1,988. */
const PURCHASE_1999: PostingRequest = {
  key: `purchase:${CARD_A}:0`,
  kind: 'purchase',
  cardNumber: CARD_A,
  amount: 1_999,
  merchantId: MERCHANT_1,
  feeBps: 60,
  at: AT_1000,
  ref: 'inbox:2',
};

let db: Db;
let ledger: Ledger;

beforeEach(() => {
  db = openDatabase(':memory:');
  migrate(db);
  ledger = new Ledger(db, clock);
});
afterEach(() => db.close());

type LineRow = { account: string; amount: number };
const linesOf = (entryId: number): LineRow[] =>
  db.prepare<[number], LineRow>('SELECT account, amount FROM ledger_lines WHERE entry_id = ? ORDER BY amount DESC, account').all(entryId);
const balanceOf = (account: string): number | undefined =>
  db.prepare<[string], { balance: number }>('SELECT balance FROM ledger_accounts WHERE name = ?').get(account)?.balance;
const count = (table: string): number => db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n;
const snapshot = (): string =>
  JSON.stringify([
    db.prepare('SELECT * FROM ledger_entries ORDER BY id').all(),
    db.prepare('SELECT * FROM ledger_lines ORDER BY entry_id, account').all(),
    db.prepare('SELECT * FROM ledger_accounts ORDER BY name').all(),
  ]);

describe('postings', () => {
  it('books a purchase with its fee rounded down: 1,999 fen at 60 bps is fee 11, net 1,988', () => {
    ledger.post(LOAD_A);
    const r = ledger.post(PURCHASE_1999);
    expect(r).toEqual({ posted: true, entryId: 2 });
    expect(linesOf(2)).toEqual([
      { account: `float:${CARD_A}`, amount: 1_999 },
      { account: 'fees', amount: -11 },
      { account: `payable:${MERCHANT_1}`, amount: -1_988 },
    ]);
    expect(ledger.shadowBalance(CARD_A)).toBe(8_001);
    expect(ledger.merchantPayable(MERCHANT_1)).toBe(1_988);
    expect(balanceOf('fees')).toBe(11);
    expect(balanceOf('bank')).toBe(10_000);
    expect(ledger.entry(PURCHASE_1999.key)).toEqual({
      id: 2,
      key: PURCHASE_1999.key,
      kind: 'purchase',
      cardNumber: CARD_A,
      toCardNumber: null,
      merchantId: MERCHANT_1,
      amount: 1_999,
      feeBps: 60,
      fee: 11,
      at: AT_1000,
      ref: 'inbox:2',
      postedAt: POSTED_AT,
    });
  });

  it('computes fees in integers, leaving out zero lines', () => {
    expect([feeOf(1_999, 60), feeOf(166, 60), feeOf(167, 60), feeOf(100, 10_000), feeOf(0xffff_ffff, 10_000), feeOf(500, 0)]).toEqual([
      11, 0, 1, 100, 0xffff_ffff, 0,
    ]);
    const noFee = ledger.post({ ...PURCHASE_1999, key: 'p:166', amount: 166 });
    expect(linesOf(noFee.entryId)).toEqual([
      { account: `float:${CARD_A}`, amount: 166 },
      { account: `payable:${MERCHANT_1}`, amount: -166 },
    ]);
    const allFee = ledger.post({ ...PURCHASE_1999, key: 'p:all', amount: 100, feeBps: 10_000 });
    expect(linesOf(allFee.entryId)).toEqual([
      { account: `float:${CARD_A}`, amount: 100 },
      { account: 'fees', amount: -100 },
    ]);
    const defaultFee = ledger.post({ key: 'p:default', kind: 'purchase', cardNumber: CARD_A, amount: 700, merchantId: MERCHANT_2, at: AT_1000 });
    expect(ledger.entry('p:default')).toMatchObject({ feeBps: 0, fee: 0 });
    expect(linesOf(defaultFee.entryId)).toHaveLength(2);
  });

  it('books loads and refunds against the bank', () => {
    ledger.post(LOAD_A);
    const refund = ledger.post({ key: 'refund:1', kind: 'refund', cardNumber: CARD_A, amount: 300, at: AT_1100 });
    expect(linesOf(1)).toEqual([
      { account: 'bank', amount: 10_000 },
      { account: `float:${CARD_A}`, amount: -10_000 },
    ]);
    expect(linesOf(refund.entryId)).toEqual([
      { account: `float:${CARD_A}`, amount: 300 },
      { account: 'bank', amount: -300 },
    ]);
    expect(ledger.shadowBalance(CARD_A)).toBe(9_700);
    expect(balanceOf('bank')).toBe(9_700);
    expect(ledger.shadowBalance(CARD_B)).toBe(0);
  });

  it('lets a card go below zero when a purchase clears before its load', () => {
    ledger.post(PURCHASE_1999);
    expect(ledger.shadowBalance(CARD_A)).toBe(-1_999);
    ledger.post(LOAD_A);
    expect(ledger.shadowBalance(CARD_A)).toBe(8_001);
  });
});

describe('idempotency', () => {
  it('answers a re-post of the same content with the stored entry and writes nothing', () => {
    ledger.post(LOAD_A);
    const first = ledger.post(PURCHASE_1999);
    const before = snapshot();
    expect(ledger.post(PURCHASE_1999)).toEqual({ posted: false, entryId: first.entryId });
    // ref says where a posting came from; it is not part of the money.
    expect(ledger.post({ ...PURCHASE_1999, ref: 'inbox:99' })).toEqual({ posted: false, entryId: first.entryId });
    expect(snapshot()).toBe(before);
    expect(ledger.shadowBalance(CARD_A)).toBe(8_001);
  });

  it('refuses the same key with other content, naming the fields, and writes nothing', () => {
    ledger.post(LOAD_A);
    ledger.post(PURCHASE_1999);
    const before = snapshot();
    const conflict = (change: Partial<PostingRequest>): LedgerConflictError => {
      try {
        ledger.post({ ...PURCHASE_1999, ...change });
      } catch (err) {
        expect(err).toBeInstanceOf(LedgerConflictError);
        return err as LedgerConflictError;
      }
      throw new Error('expected a conflict');
    };
    const amount = conflict({ amount: 2_000 });
    expect([amount.key, amount.entryId, amount.fields, amount.code]).toEqual([PURCHASE_1999.key, 2, ['amount'], 'LEDGER_CONFLICT']);
    expect(amount.message).toBe(`posting ${PURCHASE_1999.key} conflicts with entry 2 (differs in amount)`);
    expect(conflict({ merchantId: MERCHANT_2, at: AT_1100 }).fields).toEqual(['merchantId', 'at']);
    expect(conflict({ feeBps: 61 }).fields).toEqual(['feeBps']);
    expect(conflict({ cardNumber: CARD_B }).fields).toEqual(['cardNumber']);
    expect(conflict({ kind: 'refund', merchantId: undefined, feeBps: undefined }).fields).toEqual(['kind', 'merchantId', 'feeBps']);
    expect(snapshot()).toBe(before);
  });
});

describe('batches and transactions', () => {
  it('posts a batch in order, duplicates inside it answered as already posted', () => {
    const results = ledger.postMany([LOAD_A, PURCHASE_1999, LOAD_A, { ...PURCHASE_1999, key: 'p:2', amount: 1_000 }]);
    expect(results).toEqual([
      { posted: true, entryId: 1 },
      { posted: true, entryId: 2 },
      { posted: false, entryId: 1 },
      { posted: true, entryId: 3 },
    ]);
    expect(ledger.shadowBalance(CARD_A)).toBe(7_001);
    expect(ledger.postMany([])).toEqual([]);
  });

  it('keeps nothing of a batch with a conflict or an invalid request in it', () => {
    ledger.post(LOAD_A);
    const before = snapshot();
    expect(() => ledger.postMany([PURCHASE_1999, { ...LOAD_A, amount: 1 }])).toThrow(LedgerConflictError);
    expect(snapshot()).toBe(before);
    expect(() => ledger.postMany([PURCHASE_1999, { ...LOAD_A, key: 'load:2', amount: 0 }])).toThrow(InvalidPostingError);
    expect(snapshot()).toBe(before);
  });

  it('joins the caller transaction: its rollback takes the postings with it', () => {
    ledger.post(LOAD_A);
    const before = snapshot();
    expect(() =>
      db.transaction(() => {
        ledger.post(PURCHASE_1999);
        ledger.postMany([{ ...PURCHASE_1999, key: 'p:2' }]);
        expect(ledger.shadowBalance(CARD_A)).toBe(6_002);
        throw new Error('the caller fails after posting');
      })(),
    ).toThrow('the caller fails after posting');
    expect(snapshot()).toBe(before);
    // A conflict caught inside the caller's transaction leaves the rest of it intact.
    db.transaction(() => {
      ledger.post(PURCHASE_1999);
      expect(() => ledger.post({ ...PURCHASE_1999, amount: 1 })).toThrow(LedgerConflictError);
    })();
    expect(ledger.shadowBalance(CARD_A)).toBe(8_001);
  });

  it('refuses requests out of range before writing anything', () => {
    const bad: [Partial<PostingRequest>, string][] = [
      [{ amount: 0 }, 'the amount must be an integer of 1 to 4294967295 fen'],
      [{ amount: 1.5 }, 'the amount must be an integer of 1 to 4294967295 fen'],
      [{ amount: 0x1_0000_0000 }, 'the amount must be an integer of 1 to 4294967295 fen'],
      [{ cardNumber: '100000000000001' }, 'a card number is 16 decimal digits'],
      [{ merchantId: undefined }, 'a purchase names its merchant (1-100 characters)'],
      [{ feeBps: 10_001 }, 'feeBps must be an integer of 0 to 10000'],
      [{ feeBps: 0.5 }, 'feeBps must be an integer of 0 to 10000'],
      [{ at: '2026-05-01T10:00:00Z' }, 'at must be ISO-8601 UTC exactly as Date.toISOString() writes it'],
      [{ at: '2026-02-30T10:00:00.000Z' }, 'at must be ISO-8601 UTC exactly as Date.toISOString() writes it'],
      [{ ref: '' }, 'ref must be 1-200 characters'],
      [{ kind: 'load' }, 'only a purchase names a merchant'],
      [{ kind: 'refund', merchantId: undefined }, 'only a purchase has a fee'],
      [{ kind: 'chargeback' as PostingRequest['kind'] }, 'unknown kind chargeback'],
    ];
    for (const [change, reason] of bad) {
      expect(() => ledger.post({ ...PURCHASE_1999, ...change })).toThrow(new InvalidPostingError(PURCHASE_1999.key, reason));
    }
    expect(() => ledger.post({ ...PURCHASE_1999, key: '' })).toThrow(InvalidPostingError);
    expect(() => ledger.post({ ...PURCHASE_1999, key: 'k'.repeat(201) })).toThrow(InvalidPostingError);
    expect(count('ledger_entries') + count('ledger_lines') + count('ledger_accounts')).toBe(0);
  });
});

describe('transfers between cards', () => {
  it('moves float in one entry keyed by the transfer', () => {
    ledger.post(LOAD_A);
    const r = ledger.transfer({ key: 'transfer:T1', fromCardNumber: CARD_A, toCardNumber: CARD_B, amount: 4_000, at: AT_1100, ref: 'T1' });
    expect(r).toEqual({ posted: true, entryId: 2 });
    expect(linesOf(2)).toEqual([
      { account: `float:${CARD_A}`, amount: 4_000 },
      { account: `float:${CARD_B}`, amount: -4_000 },
    ]);
    expect(ledger.entry('transfer:T1')).toMatchObject({ kind: 'transfer', cardNumber: CARD_A, toCardNumber: CARD_B, amount: 4_000 });
    expect([ledger.shadowBalance(CARD_A), ledger.shadowBalance(CARD_B)]).toEqual([6_000, 4_000]);
    expect(ledger.transfer({ key: 'transfer:T1', fromCardNumber: CARD_A, toCardNumber: CARD_B, amount: 4_000, at: AT_1100 })).toEqual({ posted: false, entryId: 2 });
    expect(() => ledger.transfer({ key: 'transfer:T1', fromCardNumber: CARD_A, toCardNumber: CARD_C, amount: 4_000, at: AT_1100 })).toThrow(
      new LedgerConflictError('transfer:T1', 2, ['toCardNumber']),
    );
    expect(() => ledger.transfer({ key: 'transfer:T2', fromCardNumber: CARD_A, toCardNumber: CARD_A, amount: 1, at: AT_1100 })).toThrow(
      new InvalidPostingError('transfer:T2', 'a transfer needs two different cards'),
    );
  });

  it('carries a transferOut and its transferIn through the transit account', () => {
    ledger.post(LOAD_A);
    ledger.post({ key: 'out:1', kind: 'transferOut', cardNumber: CARD_A, amount: 2_500, at: AT_1100 });
    expect([ledger.shadowBalance(CARD_A), balanceOf('transit')]).toEqual([7_500, 2_500]);
    expect(checkConservation(db)).toMatchObject({ ok: true, totalFloat: 7_500, inTransit: 2_500 });
    ledger.post({ key: 'in:1', kind: 'transferIn', cardNumber: CARD_B, amount: 2_500, at: AT_1100 });
    expect([ledger.shadowBalance(CARD_B), balanceOf('transit')]).toEqual([2_500, 0]);
    expect(linesOf(3)).toEqual([
      { account: 'transit', amount: 2_500 },
      { account: `float:${CARD_B}`, amount: -2_500 },
    ]);
  });
});

describe('append-only journal', () => {
  it('refuses to change or delete entries, lines and accounts', () => {
    ledger.post(LOAD_A);
    ledger.post(PURCHASE_1999);
    const refused: [string, string][] = [
      ['UPDATE ledger_entries SET amount = 1 WHERE id = 2', 'ledger_entries is append-only'],
      ['DELETE FROM ledger_entries WHERE id = 2', 'ledger_entries is append-only'],
      ["UPDATE ledger_lines SET amount = 1 WHERE entry_id = 2 AND account = 'fees'", 'ledger_lines is append-only'],
      ['DELETE FROM ledger_lines WHERE entry_id = 2', 'ledger_lines is append-only'],
      ["UPDATE ledger_accounts SET name = 'fees2' WHERE name = 'fees'", 'ledger_accounts: only the running balance changes'],
      ["UPDATE ledger_accounts SET card_number = '1' WHERE name = 'float:1000000000000001'", 'ledger_accounts: only the running balance changes'],
      ["DELETE FROM ledger_accounts WHERE name = 'fees'", 'ledger_accounts are never deleted'],
    ];
    const before = snapshot();
    for (const [sql, message] of refused) expect(() => db.prepare(sql).run()).toThrow(message);
    expect(snapshot()).toBe(before);
  });

  it('applies as migration 070 after the others', () => {
    expect(readMigrations().find((m) => m.version === 70)?.name).toBe('070_ledger.sql');
    expect(db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM schema_migrations WHERE version = 70').get()!.n).toBe(1);
  });
});

/** Nine postings of every kind, one card below zero, one transfer half done (in transit). */
function postReportFixture(l: Ledger): void {
  l.postMany([
    LOAD_A,
    { key: `load:${CARD_B}:0`, kind: 'load', cardNumber: CARD_B, amount: 5_000, at: AT_0930 },
    PURCHASE_1999,
    { key: `purchase:${CARD_B}:0`, kind: 'purchase', cardNumber: CARD_B, amount: 500, merchantId: MERCHANT_2, feeBps: 60, at: AT_1000 },
    { key: `purchase:${CARD_A}:1`, kind: 'purchase', cardNumber: CARD_A, amount: 166, merchantId: MERCHANT_1, feeBps: 60, at: AT_1000 },
    { key: 'refund:1', kind: 'refund', cardNumber: CARD_B, amount: 300, at: AT_1100 },
    { key: 'out:1', kind: 'transferOut', cardNumber: CARD_B, amount: 1_000, at: AT_1100 },
    { key: `purchase:${CARD_D}:0`, kind: 'purchase', cardNumber: CARD_D, amount: 700, merchantId: MERCHANT_2, at: AT_1100 },
  ]);
  l.transfer({ key: 'transfer:T1', fromCardNumber: CARD_A, toCardNumber: CARD_C, amount: 2_000, at: AT_1100 });
}

// Float: A 10,000 - 1,999 - 166 - 2,000 = 5,835; B 5,000 - 500 - 300 - 1,000 = 3,200; C 2,000; D -700.
const FIXTURE_REPORT_TEXT = [
  'ledger OK: 9 entries, 4 cards',
  '  loads 15000 - purchases 3365 - refunds 300 = 11335 fen',
  '  float 10335 + in transit 1000 = 11335 fen; 1 of 4 cards below zero',
  '  debits 21665 fen, credits 21665 fen',
  '  bank 14700, payables 3351, fees 14 fen',
].join('\n');

describe('conservation', () => {
  it('reports the exact sums of a ledger that holds', () => {
    postReportFixture(ledger);
    const r = ledger.checkConservation();
    expect(r).toEqual({
      ok: true,
      failures: [],
      entries: 9,
      loads: 15_000,
      purchases: 3_365,
      refunds: 300,
      totalFloat: 10_335,
      inTransit: 1_000,
      payables: 3_351,
      fees: 14,
      bank: 14_700,
      debits: 21_665,
      credits: 21_665,
      cards: 4,
      negativeCards: 1,
      unbalancedEntries: 0,
      firstUnbalanced: [],
      driftingAccounts: 0,
      firstDrifting: [],
    });
    expect([CARD_A, CARD_B, CARD_C, CARD_D].map((c) => ledger.shadowBalance(c))).toEqual([5_835, 3_200, 2_000, -700]);
    expect(formatConservationReport(r)).toEqual({ text: FIXTURE_REPORT_TEXT, exitCode: 0 });
  });

  it('holds for an empty ledger', () => {
    expect(ledger.checkConservation()).toMatchObject({ ok: true, entries: 0, loads: 0, totalFloat: 0, debits: 0, credits: 0, cards: 0 });
  });

  it('catches a running balance edited behind the ledger', () => {
    postReportFixture(ledger);
    db.prepare(`UPDATE ledger_accounts SET balance = balance + 1 WHERE name = 'float:${CARD_A}'`).run();
    const r = ledger.checkConservation();
    expect(r.ok).toBe(false);
    expect(r.failures).toEqual([
      'loads 15000 - purchases 3365 - refunds 300 = 11335, but float 10336 + in transit 1000 = 11336',
      `1 running balances differ from their lines (first: float:${CARD_A})`,
      'bank 14700 differs from float + in transit + payables + fees = 14701',
    ]);
    expect(r.firstDrifting).toEqual([{ account: `float:${CARD_A}`, balance: 5_836, fromLines: 5_835 }]);
    const { text, exitCode } = formatConservationReport(r);
    expect(exitCode).toBe(1);
    expect(text.split('\n')[0]).toBe('ledger BROKEN: 9 entries, 4 cards');
    expect(text.split('\n').slice(5)).toEqual(r.failures.map((f) => `  FAIL ${f}`));
  });

  it('catches a line edited with the triggers dropped', () => {
    postReportFixture(ledger);
    db.exec('DROP TRIGGER ledger_lines_no_update');
    db.prepare("UPDATE ledger_lines SET amount = amount + 5 WHERE entry_id = 1 AND account = 'bank'").run();
    const r = ledger.checkConservation();
    expect(r.failures).toEqual([
      'debits 21670 differ from credits 21665',
      '1 entries do not balance (first: 1)',
      '1 running balances differ from their lines (first: bank)',
    ]);
    expect(r.firstUnbalanced).toEqual([{ entryId: 1, sum: 5, lineCount: 2 }]);
    expect(r.firstDrifting).toEqual([{ account: 'bank', balance: 14_700, fromLines: 14_705 }]);
  });

  it('catches an entry written without lines', () => {
    postReportFixture(ledger);
    db.prepare(
      `INSERT INTO ledger_entries (key, kind, card_number, amount, fee, at, posted_at) VALUES ('load:ghost', 'load', '${CARD_B}', 50, 0, '${AT_1100}', '${POSTED_AT}')`,
    ).run();
    const r = ledger.checkConservation();
    expect(r.failures).toEqual([
      'loads 15050 - purchases 3365 - refunds 300 = 11385, but float 10335 + in transit 1000 = 11335',
      '1 entries do not balance (first: 10)',
    ]);
    expect(r.firstUnbalanced).toEqual([{ entryId: 10, sum: 0, lineCount: 0 }]);
  });
});

describe('citycard backend ledger check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citycard-ledger-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the report and exits 0 while the invariant holds, 1 once it does not', () => {
    const fileDb = openDatabase(dir);
    migrate(fileDb);
    postReportFixture(new Ledger(fileDb, clock));
    fileDb.close();
    expect(runLedgerCheck(dir)).toEqual({ text: FIXTURE_REPORT_TEXT, exitCode: 0 });

    const tamper = openDatabase(dir);
    tamper.prepare("UPDATE ledger_accounts SET balance = balance - 14 WHERE name = 'fees'").run();
    tamper.close();
    const broken = runLedgerCheck(dir);
    expect(broken.exitCode).toBe(1);
    expect(broken.text.split('\n')).toEqual([
      'ledger BROKEN: 9 entries, 4 cards',
      '  loads 15000 - purchases 3365 - refunds 300 = 11335 fen',
      '  float 10335 + in transit 1000 = 11335 fen; 1 of 4 cards below zero',
      '  debits 21665 fen, credits 21665 fen',
      '  bank 14700, payables 3351, fees 0 fen',
      '  FAIL 1 running balances differ from their lines (first: fees)',
      '  FAIL bank 14700 differs from float + in transit + payables + fees = 14686',
    ]);
  });

  it('exits 1 with one line when the database has no ledger yet', () => {
    const bare = openDatabase(dir);
    migrate(bare, readMigrations().filter((m) => m.version < 70));
    expect(() => checkConservation(bare)).toThrow(LedgerMissingError);
    bare.close();
    expect(runLedgerCheck(dir)).toEqual({ text: `citycard backend: ${new LedgerMissingError().message}`, exitCode: 1 });
  });

  it('refuses a data directory without a database, creating none', () => {
    expect(() => runLedgerCheck(join(dir, 'nothing-here'))).toThrow();
    expect(existsSync(join(dir, 'nothing-here', 'backend.sqlite'))).toBe(false);
  });
});

describe('merchant totals', () => {
  it('sums one merchant purchases with from <= at < to', () => {
    postReportFixture(ledger);
    ledger.post({ key: 'p:late', kind: 'purchase', cardNumber: CARD_B, amount: 1_000, merchantId: MERCHANT_1, feeBps: 100, at: AT_1100 });
    expect(ledger.merchantTotals(MERCHANT_1, '2026-05-01T00:00:00.000Z', '2026-05-02T00:00:00.000Z')).toEqual({
      gross: 3_165,
      fees: 21,
      net: 3_144,
      count: 3,
    });
    expect(ledger.merchantTotals(MERCHANT_1, new Date(AT_1000), new Date(AT_1100))).toEqual({ gross: 2_165, fees: 11, net: 2_154, count: 2 });
    expect(ledger.merchantTotals(MERCHANT_1, AT_1100, '2026-05-01T12:00:00.000Z')).toEqual({ gross: 1_000, fees: 10, net: 990, count: 1 });
    expect(ledger.merchantTotals('M-none', AT_0930, AT_1100)).toEqual({ gross: 0, fees: 0, net: 0, count: 0 });
    expect(ledger.merchantPayable(MERCHANT_1)).toBe(3_144);
    expect(() => ledger.merchantTotals(MERCHANT_1, '2026-05-01', AT_1100)).toThrow(RangeError);
    expect(() => ledger.merchantTotals(MERCHANT_1, new Date(Number.NaN), AT_1100)).toThrow(RangeError);
  });
});
