/**
 * A clean clearing workload for the clearing benchmark: a migrated backend database whose upload
 * inbox holds `rows` genuine records of `cards` cards, every TAC computed under the test
 * profile's MTK (so a test-profile HSM verifies them all), counters and TTSNs without gaps and
 * balance chains that fit, so clearing posts every row. Test keys only.
 *
 * Shape: each card is loaded once at the kiosk (its first record), then buys at the gates and
 * shops; the gates and shops upload batches of up to 500 records as they fill, so one clearing
 * job of a few thousand rows holds thousands of cards, each once or twice (the common case). As
 * in real traffic, a card's purchases made at different terminals reach the inbox out of order,
 * so some counter gaps open and later jobs resolve them: none is left open at the end.
 */
import { diversifyKey, encodeBcd, fromHex, loadTac, purchaseTac, tacKey, toHex } from '@citycard/protocols';
import { TEST_MTK } from '@citycard/hsm-sim';
import type { Db } from '../../../data/db.js';
import { MerchantRepository } from '../../../data/merchantRepository.js';
import { TerminalRepository } from '../../../data/terminalRepository.js';
import { UploadInboxRepository } from '../../../data/uploadInboxRepository.js';
import { canonicalJson, recordDigest } from '../../uploads/index.js';
import { setMerchantFee } from '../merchantFees.js';

/** The transactions' date (`YYYYMMDD`); clearing runs after it. */
export const FIXTURE_DATE = '20261123';
/** When the fixture's rows were received and when clearing runs. */
export const FIXTURE_NOW = new Date('2026-11-24T00:00:00.000Z');
/** The kiosk that loads every card. */
export const FIXTURE_KIOSK = '000000000999';
/** Fen each card is loaded with at least; more when it makes over 4,000 purchases (each below 1,000 fen). */
const MIN_LOAD_FEN = 4_000_000;
/** Most records in one uploaded batch (the upload API's limit). */
const BATCH_RECORDS = 500;

export interface ClearingFixtureOptions {
  /** Inbox rows, loads included, 1..5,000,000, at most 65,537 per card. */
  readonly rows: number;
  /** Cards, 1..rows; each gets rows/cards records (the first cards one more when it does not divide). */
  readonly cards: number;
  /** Purchase terminals (gates and shops), 1..999; default 40. */
  readonly terminals?: number;
  /** Merchants the terminals belong to, 1..terminals; default 8. The first pays its own fee (60 bps). */
  readonly merchants?: number;
}

export interface ClearingFixture {
  /** Terminal number -> merchant id, for ClearingDeps.merchantOf. */
  readonly merchantOf: ReadonlyMap<string, string>;
  readonly rows: number;
  readonly cards: number;
  readonly loads: number;
  readonly purchases: number;
}

const cardNumberOf = (i: number): string => `8${String(i).padStart(15, '0')}`;
const terminalNumberOf = (i: number): string => String(i + 1).padStart(12, '0');
const hhmmss = (seconds: number): string =>
  [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60].map((n) => String(n).padStart(2, '0')).join('');

/** A trail as long as a real purchase's (INITIALIZE, MAC1, DEBIT, MAC2 check): the bulk of a stored record. */
function trailOf(at: string): object[] {
  return [
    { seq: 0, slot: 'card', name: 'INITIALIZE FOR PURCHASE', at, command: `805001020B01${'00'.repeat(10)}0F`, response: `${'11'.repeat(15)}9000` },
    { seq: 1, slot: 'psam', name: 'INIT SAM FOR PURCHASE', at, command: `8070000024${'22'.repeat(36)}08`, response: `${'33'.repeat(8)}9000` },
    { seq: 2, slot: 'card', name: 'DEBIT FOR PURCHASE', at, command: `805401000F${'44'.repeat(15)}08`, response: `${'55'.repeat(8)}9000` },
    { seq: 3, slot: 'psam', name: 'CREDIT SAM FOR PURCHASE', at, command: `8072000004${'66'.repeat(4)}`, response: '9000' },
  ];
}

/**
 * Registers merchants and terminals and fills the inbox of a migrated, empty database.
 * @throws RangeError for options out of range; the driver's errors (e.g. a database not empty).
 */
export function buildClearingFixture(db: Db, options: ClearingFixtureOptions): ClearingFixture {
  const { rows, cards } = options;
  const terminalCount = options.terminals ?? 40;
  const merchantCount = options.merchants ?? 8;
  if (!Number.isInteger(rows) || rows < 1 || rows > 5_000_000) throw new RangeError('rows is an integer 1..5,000,000');
  if (!Number.isInteger(cards) || cards < 1 || cards > rows) throw new RangeError('cards is an integer 1..rows');
  // A card's offline counter is 16 bits: one load and at most 65,536 purchases each.
  if (Math.ceil(rows / cards) > 65_537) throw new RangeError('at most 65,537 rows per card');
  if (!Number.isInteger(terminalCount) || terminalCount < 1 || terminalCount > 999) throw new RangeError('terminals is an integer 1..999');
  if (!Number.isInteger(merchantCount) || merchantCount < 1 || merchantCount > terminalCount) throw new RangeError('merchants is an integer 1..terminals');

  const at = '2026-11-01T00:00:00.000Z';
  const merchantOf = new Map<string, string>();
  const mtk = fromHex(TEST_MTK);
  const receivedAt = FIXTURE_NOW.toISOString();
  const inbox = new UploadInboxRepository(db);
  let loads = 0;
  let purchases = 0;

  db.transaction(() => {
    const merchants = new MerchantRepository(db);
    const terminals = new TerminalRepository(db);
    for (let m = 0; m < merchantCount; m++) merchants.insert({ id: `bench-merchant-${m}`, name: `Bench merchant ${m}`, category: 'transit', createdAt: at });
    setMerchantFee(db, 'bench-merchant-0', 60, new Date(at));
    const register = (terminalNumber: string, merchantId: string, mode: 'pos' | 'kiosk'): void => {
      terminals.insert({ terminalNumber, merchantId, mode, location: 'bench', disabled: false, credentialIssuedAt: at, createdAt: at, updatedAt: at }, '00');
      merchantOf.set(terminalNumber, merchantId);
    };
    const purchaseTerminals = Array.from({ length: terminalCount }, (_, t) => terminalNumberOf(t));
    purchaseTerminals.forEach((t, i) => register(t, `bench-merchant-${i % merchantCount}`, 'pos'));
    register(FIXTURE_KIOSK, 'bench-merchant-0', 'kiosk');

    const date = encodeBcd(FIXTURE_DATE);
    const ttsns = new Map<string, number>();
    const pending = new Map<string, object[]>();
    let batchNo = 0;
    const flush = (terminal: string): void => {
      const records = pending.get(terminal);
      if (records === undefined || records.length === 0) return;
      batchNo += 1;
      const batchId = `00000000-0000-4000-8000-${batchNo.toString(16).padStart(12, '0')}`;
      inbox.insertBatch({
        batchId,
        terminalNumber: terminal,
        digest: '00'.repeat(32),
        signature: '00'.repeat(64),
        publicKey: '00'.repeat(32),
        createdAt: receivedAt,
        receivedAt,
        recordCount: records.length,
        accepted: records.length,
        duplicates: 0,
        conflicts: 0,
      });
      records.forEach((record, position) => {
        const r = record as { kind: 'purchase' | 'load'; cardNumber: string; offlineCounter?: number; onlineCounter?: number; ttsn?: number; amount: number };
        inbox.insertRecord({
          batchId,
          position,
          kind: r.kind,
          cardNumber: r.cardNumber,
          counter: r.kind === 'purchase' ? r.offlineCounter! : r.onlineCounter!,
          terminalNumber: terminal,
          ttsn: r.kind === 'purchase' ? r.ttsn! : null,
          amount: r.amount,
          recordDigest: recordDigest(record),
          record: canonicalJson(record),
          conflictOf: null,
          receivedAt,
        });
      });
      pending.set(terminal, []);
    };
    const queue = (terminal: string, record: object): void => {
      let list = pending.get(terminal);
      if (list === undefined) pending.set(terminal, (list = []));
      list.push(record);
      if (list.length >= BATCH_RECORDS) flush(terminal);
    };

    const perCard = Math.ceil(rows / cards);
    const loadFen = Math.max(MIN_LOAD_FEN, perCard * 1000);
    // Spread each card's records over the day: steps apart, cards within a step a second apart.
    const spacing = Math.max(1, Math.floor((18 * 3600) / perCard));
    const keys: Buffer[] = [];
    const balances: number[] = new Array<number>(cards).fill(0);
    let made = 0;
    for (let step = 0; step < perCard && made < rows; step++) {
      for (let c = 0; c < cards && made < rows; c++) {
        const card = cardNumberOf(c);
        const key = (keys[c] ??= tacKey(diversifyKey(mtk, encodeBcd(card))));
        const seconds = Math.min(86_399, 6 * 3600 + step * spacing + (c % spacing));
        const time = hhmmss(seconds);
        const trailAt = `2026-11-23T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}.000Z`;
        const before = balances[c]!;
        if (step === 0) {
          const tac = loadTac(key, { newBalance: before + loadFen, onlineCounter: 0, amount: loadFen, terminal: fromHex(FIXTURE_KIOSK), date, time: encodeBcd(time) });
          queue(FIXTURE_KIOSK, {
            kind: 'load', cardNumber: card, amount: loadFen, terminal: FIXTURE_KIOSK, date: FIXTURE_DATE, time, balanceBefore: before,
            keyVersion: 1, algorithmId: 0, trail: trailOf(trailAt), onlineCounter: 0, mac2: '00000000', tac: toHex(tac), tacVerified: true, recovered: false,
          });
          balances[c] = before + loadFen;
          loads += 1;
        } else {
          const terminal = purchaseTerminals[(c + step) % terminalCount]!;
          const ttsn = ttsns.get(terminal) ?? 1;
          ttsns.set(terminal, ttsn + 1);
          const amount = 100 + ((c * 7 + step * 13) % 900);
          const tac = purchaseTac(key, { amount, terminal: fromHex(terminal), ttsn, date, time: encodeBcd(time) });
          queue(terminal, {
            kind: 'purchase', cardNumber: card, amount, terminal, date: FIXTURE_DATE, time, balanceBefore: before, keyVersion: 1, algorithmId: 0,
            trail: trailOf(trailAt), offlineCounter: step - 1, ttsn, mac2: '00000000', tac: toHex(tac), mac2Verified: true, recovered: false,
          });
          balances[c] = before - amount;
          purchases += 1;
        }
        made += 1;
      }
      // The kiosk's loads are uploaded before the first purchases, as a kiosk online would.
      if (step === 0) flush(FIXTURE_KIOSK);
    }
    for (const terminal of pending.keys()) flush(terminal);
  })();

  return { merchantOf, rows, cards, loads, purchases };
}
