/**
 * Clearing checks (docs/clearing-checks.md) against real TACs under the test key profile, a
 * test-profile HSM (LocalHsm, role clearing) as TacVerifier, the real ledger and hotlist, and
 * inbox rows stored by the real upload path. Every check has exact expectations; gaps are closed
 * by late records; clones are hotlisted; clearing again or in another order changes nothing.
 */
import { fromHex, toHex } from '@citycard/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClearingExceptionRepository } from '../../backend/src/data/clearingExceptionRepository.js';
import { HotlistRepository } from '../../backend/src/data/hotlistRepository.js';
import { readClearingRecord } from '../../backend/src/domain/clearing/clearingRecord.js';
import {
  type ClearingSummary,
  type TacVerifier,
  clearInboxRows,
  loadTacCheckOf,
  merchantFee,
  purchaseTacCheckOf,
  setMerchantFee,
} from '../../backend/src/domain/clearing/index.js';
import type { ClearingRecord } from '../../backend/src/domain/clearing/clearingRecord.js';
import { loadTacRequestOf, purchaseTacRequestOf } from '../../terminal-agent/src/purse/tacRequests.js';
import { type TestHsm, makeTestHsm } from '../hsm-sim/fixtures.js';
import {
  CAFE,
  type ClearingKit,
  GATE,
  KIOSK,
  POS,
  TRANSIT,
  clearingKit,
  exceptionsOf,
  forged,
  ledgerOf,
  load,
  openExceptions,
  purchase,
  statusesOf,
} from './clearingChecksKit.js';

const CARD_A = '1000000000000001';
const CARD_B = '1000000000000002';
const CARD_C = '1000000000000003';
const CARD_D = '1000000000000004';
const CARD_E = '1000000000000005';
const CARD_F = '1000000000000006';

// Card A: a load of 100.00, a coffee at the cafe, a ride through the gate.
const A_LOAD_0 = load({ card: CARD_A, counter: 0, amount: 10_000, before: 0, time: '080000' });
const A_COFFEE_0 = purchase({ card: CARD_A, counter: 0, ttsn: 100, amount: 250, before: 10_000, terminal: POS, time: '090000' });
const A_RIDE_1 = purchase({ card: CARD_A, counter: 1, ttsn: 7, amount: 4000, before: 9750, terminal: GATE, time: '091500' });
/** The §8.2 TAC of the card interface: card 1000000000000001, 250 fen, terminal 000000000001, TTSN 0x102, 20261123 093000. */
const SPEC_PURCHASE = purchase({ card: CARD_A, counter: 5, ttsn: 0x102, amount: 250, before: 10_000, terminal: POS, time: '093000' });
const SPEC_TAC = 'A0F363C7';

function summaryOf(partial: Partial<Omit<ClearingSummary, 'opened'>> & { opened?: Partial<ClearingSummary['opened']> }): ClearingSummary {
  const opened = { BAD_TAC: 0, DUPLICATE: 0, COUNTER_GAP: 0, TTSN_GAP: 0, CLONE: 0, BALANCE_MISMATCH: 0, HOTLISTED_AFTER_BLOCK: 0, ...partial.opened };
  return { rows: 0, pulledIn: 0, alreadyCleared: 0, posted: 0, badTac: 0, duplicates: 0, clones: 0, autoResolved: 0, hotlisted: [], hotlistPending: 0, ...partial, opened };
}

let hsm: TestHsm;
let tacs: TacVerifier;

beforeAll(() => {
  hsm = makeTestHsm();
  tacs = hsm.as('clearing');
});
afterAll(() => hsm.dispose());

/** A fresh kit, with `clear(rows)` bound to the HSM. */
function fresh(): ClearingKit & { clear(rows?: ReturnType<ClearingKit['rows']>): Promise<ClearingSummary> } {
  const kit = clearingKit();
  return Object.assign(kit, { clear: (rows = kit.rows()) => clearInboxRows(kit.deps(tacs), rows) });
}

describe('TAC checks', () => {
  it('asks the HSM the same bytes as the terminal agent does, and the spec TAC is the fixture', () => {
    expect(SPEC_PURCHASE.tac).toBe(SPEC_TAC);
    const kit = fresh();
    kit.upload(POS, [SPEC_PURCHASE]);
    kit.upload(KIOSK, [A_LOAD_0]);
    const [p, l] = kit.rows().map((r) => readClearingRecord(r) as ClearingRecord);
    expect(purchaseTacCheckOf(p!)).toEqual(purchaseTacRequestOf(SPEC_PURCHASE));
    expect(toHex(purchaseTacCheckOf(p!).tac)).toBe(SPEC_TAC);
    expect(loadTacCheckOf(l!)).toEqual(loadTacRequestOf(A_LOAD_0));
    kit.close();
  });

  it('posts genuine loads and purchases: merchant of the terminal, its fee or the default, the record time', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0]);
    kit.upload(POS, [A_COFFEE_0]);
    kit.upload(GATE, [A_RIDE_1]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 3, posted: 3 }));
    expect(ledgerOf(kit.db)).toEqual([
      `load:${CARD_A}:0 10000 0 2026-11-23T08:00:00.000Z -`,
      // 250 at 60 bps is 1.5 fen, rounded down.
      `purchase:${CARD_A}:0 250 1 2026-11-23T09:00:00.000Z ${CAFE}`,
      `purchase:${CARD_A}:1 4000 10 2026-11-23T09:15:00.000Z ${TRANSIT}`,
    ]);
    expect(kit.ledger.shadowBalance(CARD_A)).toBe(5750);
    expect(exceptionsOf(kit.db)).toEqual([]);
    expect(statusesOf(kit.db)).toEqual({ 1: 'cleared', 2: 'cleared', 3: 'cleared' });
    kit.close();
  });

  it('never posts a forged purchase TAC: BAD_TAC, inbox status exception', async () => {
    const kit = fresh();
    kit.upload(POS, [forged(A_COFFEE_0)]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 1, badTac: 1, opened: { BAD_TAC: 1 } }));
    expect(exceptionsOf(kit.db)).toEqual([{ kind: 'BAD_TAC', subject: 'inbox:1', status: 'open', details: { reason: "the TAC is not the card's" }, resolvedBy: null }]);
    expect(ledgerOf(kit.db)).toEqual([]);
    expect(statusesOf(kit.db)).toEqual({ 1: 'exception' });
    kit.close();
  });

  it('re-verifies load TACs with the HSM: a forged one is BAD_TAC although the kiosk said verified', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [forged(A_LOAD_0)]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 1, badTac: 1, opened: { BAD_TAC: 1 } }));
    expect(ledgerOf(kit.db)).toEqual([]);
    kit.close();
  });

  it('trusts the online check of loads when the verifier has no load-TAC check', async () => {
    const purchasesOnly: TacVerifier = { verifyPurchaseTacs: (checks) => tacs.verifyPurchaseTacs(checks) };
    const kit = fresh();
    kit.upload(KIOSK, [forged(A_LOAD_0), { ...load({ card: CARD_B, counter: 0, amount: 500, before: 0, time: '080000' }), tacVerified: false }]);
    const summary = await clearInboxRows(kit.deps(purchasesOnly), kit.rows());
    expect(summary).toEqual(summaryOf({ rows: 2, posted: 1, badTac: 1, opened: { BAD_TAC: 1 } }));
    expect(ledgerOf(kit.db)).toEqual([`load:${CARD_A}:0 10000 0 2026-11-23T08:00:00.000Z -`]);
    expect(exceptionsOf(kit.db)[0]?.details).toEqual({ reason: 'the HSM did not verify the TAC at load time' });
    kit.close();
  });

  it('makes records of a key version the HSM does not hold BAD_TAC, and clears the rest of the batch', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0]);
    kit.upload(POS, [{ ...A_COFFEE_0, keyVersion: 2 }]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 2, posted: 1, badTac: 1, opened: { BAD_TAC: 1 } }));
    expect(exceptionsOf(kit.db).map((e) => e.details)).toEqual([{ reason: 'key version 2 is not held by the HSM' }]);
    kit.close();
  });

  it('writes nothing when the HSM cannot answer', async () => {
    const down: TacVerifier = { verifyPurchaseTacs: () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const kit = fresh();
    kit.upload(POS, [A_COFFEE_0]);
    await expect(clearInboxRows(kit.deps(down), kit.rows())).rejects.toMatchObject({ name: 'TacVerificationError', code: 'TAC_VERIFICATION_FAILED' });
    expect(statusesOf(kit.db)).toEqual({ 1: 'received' });
    expect(kit.db.prepare('SELECT (SELECT COUNT(*) FROM clearing_rejections) + (SELECT COUNT(*) FROM clearing_chain) AS n').get()).toEqual({ n: 0 });
    kit.close();
  });

  it('takes fees of 0 to 10,000 basis points only', () => {
    const kit = fresh();
    expect(() => setMerchantFee(kit.db, TRANSIT, 10_001, new Date())).toThrow(expect.objectContaining({ name: 'InvalidFeeError', code: 'INVALID_FEE' }));
    expect(() => setMerchantFee(kit.db, TRANSIT, 2.5, new Date())).toThrow(expect.objectContaining({ name: 'InvalidFeeError' }));
    expect(merchantFee(kit.db, TRANSIT)).toBeUndefined();
    setMerchantFee(kit.db, TRANSIT, 10_000, new Date());
    expect(merchantFee(kit.db, TRANSIT)).toBe(10_000);
    kit.close();
  });

  it('refuses a purchase whose terminal has no merchant, before writing anything', async () => {
    const kit = fresh();
    kit.upload(POS, [A_COFFEE_0]);
    await expect(clearInboxRows(kit.deps(tacs, { merchantOf: () => undefined }), kit.rows())).rejects.toMatchObject({ name: 'UnknownMerchantError', terminalNumber: POS });
    expect(statusesOf(kit.db)).toEqual({ 1: 'received' });
    kit.close();
  });
});

describe('de-duplication and clones', () => {
  it('a second copy of one transaction (recovered, other trail) is a DUPLICATE on (card, counter), not posted', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0]);
    kit.upload(POS, [A_COFFEE_0]);
    kit.upload(POS, [{ ...A_COFFEE_0, recovered: true, mac2Verified: false }]);
    expect(kit.rows()[2]?.conflictOf).toBe(2);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 3, posted: 2, duplicates: 1, opened: { DUPLICATE: 1 } }));
    expect(exceptionsOf(kit.db)).toEqual([{ kind: 'DUPLICATE', subject: 'inbox:3', status: 'open', details: { of: 2, key: 'card-counter', posted: false }, resolvedBy: null }]);
    expect(statusesOf(kit.db)).toEqual({ 1: 'cleared', 2: 'cleared', 3: 'exception' });
    expect(kit.ledger.shadowBalance(CARD_A)).toBe(9750);
    kit.close();
  });

  it('the same TAC under another offline counter (the TAC covers no counter) is a DUPLICATE on (terminal, TTSN)', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0]);
    kit.upload(POS, [A_COFFEE_0, { ...A_COFFEE_0, offlineCounter: 5 }]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 3, posted: 2, duplicates: 1, opened: { DUPLICATE: 1 } }));
    expect(exceptionsOf(kit.db).map((e) => [e.subject, e.details])).toEqual([['inbox:3', { of: 2, key: 'terminal-ttsn', posted: false }]]);
    expect(ledgerOf(kit.db)).toHaveLength(2);
    kit.close();
  });

  it('another transaction under a posted card counter is a CLONE: not posted, card flagged and hotlisted', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0]);
    kit.upload(POS, [A_COFFEE_0]);
    kit.upload(GATE, [A_RIDE_1]);
    // Counter 1 again, at the cafe: a second card with A's keys.
    const clone = purchase({ card: CARD_A, counter: 1, ttsn: 101, amount: 50, before: 9750, terminal: POS, time: '093000' });
    kit.upload(POS, [clone]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 4, posted: 3, clones: 1, opened: { CLONE: 1 }, hotlisted: [CARD_A] }));
    expect(exceptionsOf(kit.db)).toEqual([
      {
        kind: 'CLONE',
        subject: 'inbox:4',
        status: 'open',
        details: { original: 3, counter: 'offline', differs: ['amount', 'terminal', 'ttsn', 'dateTime', 'tac'] },
        resolvedBy: null,
      },
    ]);
    expect(new HotlistRepository(kit.db).latestForCard(CARD_A)).toMatchObject({ action: 'add', reason: 'revoked' });
    expect(kit.db.prepare('SELECT card_number, inbox_id, hotlisted_at FROM clearing_card_flags').all()).toEqual([
      { card_number: CARD_A, inbox_id: 4, hotlisted_at: '2026-11-23T12:00:00.000Z' },
    ]);
    expect(ledgerOf(kit.db).filter((e) => e.startsWith(`purchase:${CARD_A}:1 `))).toEqual([`purchase:${CARD_A}:1 4000 10 2026-11-23T09:15:00.000Z ${TRANSIT}`]);
    expect(statusesOf(kit.db)[4]).toBe('exception');
    kit.close();
  });

  it('retries a hotlisting that failed on the next call', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0]);
    kit.upload(GATE, [A_RIDE_1]);
    kit.upload(POS, [purchase({ card: CARD_A, counter: 1, ttsn: 101, amount: 50, before: 9750, terminal: POS, time: '093000' })]);
    const failures: string[] = [];
    const broken = kit.deps(tacs, {
      hotlist: { hotlistClone: () => Promise.reject(new Error('hotlist unavailable')) },
      onHotlistError: (_err, card) => failures.push(card),
    });
    expect(await clearInboxRows(broken, kit.rows())).toMatchObject({ clones: 1, hotlisted: [], hotlistPending: 1 });
    expect(failures).toEqual([CARD_A]);
    expect(kit.hotlist.isListed(CARD_A)).toBe(false);
    expect(await kit.clear([])).toEqual(summaryOf({ hotlisted: [CARD_A] }));
    expect(kit.hotlist.isListed(CARD_A)).toBe(true);
    kit.close();
  });

  it('a TTSN issued twice to two cards posts both and reports a DUPLICATE on (terminal, TTSN)', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0, load({ card: CARD_B, counter: 0, amount: 2000, before: 0, time: '080500' })]);
    kit.upload(POS, [A_COFFEE_0, purchase({ card: CARD_B, counter: 0, ttsn: 100, amount: 120, before: 2000, terminal: POS, time: '090100' })]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 4, posted: 4, opened: { DUPLICATE: 1 } }));
    expect(exceptionsOf(kit.db).map((e) => [e.subject, e.details])).toEqual([['inbox:4', { of: 3, key: 'terminal-ttsn', posted: true }]]);
    expect(kit.ledger.shadowBalance(CARD_B)).toBe(1880);
    kit.close();
  });

  it('clearing a conflict row alone pulls its earlier namesake in first', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0]);
    kit.upload(POS, [A_COFFEE_0]);
    kit.upload(POS, [{ ...A_COFFEE_0, recovered: true }]);
    const [, , copy] = kit.rows();
    expect(await kit.clear([copy!])).toEqual(summaryOf({ rows: 1, pulledIn: 1, posted: 1, duplicates: 1, opened: { DUPLICATE: 1, COUNTER_GAP: 0, BALANCE_MISMATCH: 1 } }));
    expect(statusesOf(kit.db)).toEqual({ 1: 'received', 2: 'cleared', 3: 'exception' });
    // The load arrives in clearing later and explains the balance the coffee started from.
    expect(await kit.clear()).toEqual(summaryOf({ rows: 3, alreadyCleared: 2, posted: 1, autoResolved: 1 }));
    expect(openExceptions(kit.db)).toEqual([`DUPLICATE inbox:3 {"of":2,"key":"card-counter","posted":false}`]);
    kit.close();
  });
});

describe('counter and TTSN gaps', () => {
  const C_LOAD = load({ card: CARD_C, counter: 0, amount: 10_000, before: 0, time: '070000' });
  const C = [0, 1, 2, 3].map((n) => purchase({ card: CARD_C, counter: n, ttsn: 10 + n, amount: 100, before: 10_000 - 100 * n, terminal: GATE, time: `08${n}000` }));

  it('reports a missing offline counter once and resolves it when the record arrives', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [C_LOAD]);
    kit.upload(GATE, [C[0]!, C[1]!, C[3]!]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 4, posted: 4, opened: { COUNTER_GAP: 1, TTSN_GAP: 1 } }));
    expect(openExceptions(kit.db)).toEqual([
      `COUNTER_GAP card:${CARD_C}:offline:3 {"counter":"offline","missingFrom":2,"missingTo":2,"missingCount":1,"nextCounter":3}`,
      `TTSN_GAP terminal:${GATE}:13 {"missingFrom":12,"missingTo":12,"missingCount":1,"nextTtsn":13}`,
    ]);
    kit.upload(GATE, [C[2]!]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 5, alreadyCleared: 4, posted: 1, autoResolved: 2 }));
    expect(openExceptions(kit.db)).toEqual([]);
    expect(exceptionsOf(kit.db).map((e) => [e.kind, e.status, e.resolvedBy])).toEqual([
      ['TTSN_GAP', 'resolved', 'clearing'],
      ['COUNTER_GAP', 'resolved', 'clearing'],
    ]);
    kit.close();
  });

  it('out of order: gaps open, narrow and close as records arrive, each reported once', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [C_LOAD]);
    const arrive = async (n: number): Promise<string[]> => {
      kit.upload(GATE, [C[n]!]);
      await kit.clear();
      return openExceptions(kit.db);
    };
    await kit.clear();
    // Counters start at 0 on every card: 3 alone misses 0-2. The PSAM's TTSNs have no known start.
    expect(await arrive(3)).toEqual([`COUNTER_GAP card:${CARD_C}:offline:3 {"counter":"offline","missingFrom":0,"missingTo":2,"missingCount":3,"nextCounter":3}`]);
    expect(await arrive(0)).toEqual([
      `COUNTER_GAP card:${CARD_C}:offline:3 {"counter":"offline","missingFrom":1,"missingTo":2,"missingCount":2,"nextCounter":3}`,
      `TTSN_GAP terminal:${GATE}:13 {"missingFrom":11,"missingTo":12,"missingCount":2,"nextTtsn":13}`,
    ]);
    expect(await arrive(2)).toEqual([
      `COUNTER_GAP card:${CARD_C}:offline:2 {"counter":"offline","missingFrom":1,"missingTo":1,"missingCount":1,"nextCounter":2}`,
      `TTSN_GAP terminal:${GATE}:12 {"missingFrom":11,"missingTo":11,"missingCount":1,"nextTtsn":12}`,
    ]);
    expect(await arrive(1)).toEqual([]);
    expect(exceptionsOf(kit.db).map((e) => `${e.kind} ${e.subject} ${e.status}`)).toEqual([
      `COUNTER_GAP card:${CARD_C}:offline:3 resolved`,
      `TTSN_GAP terminal:${GATE}:13 resolved`,
      `TTSN_GAP terminal:${GATE}:12 resolved`,
      `COUNTER_GAP card:${CARD_C}:offline:2 resolved`,
    ]);
    expect(kit.ledger.shadowBalance(CARD_C)).toBe(9600);
    kit.close();
  });

  it('a missing load is an online COUNTER_GAP', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [C_LOAD, load({ card: CARD_C, counter: 2, amount: 500, before: 10_000, time: '090000' })]);
    await kit.clear();
    expect(openExceptions(kit.db)).toEqual([`COUNTER_GAP card:${CARD_C}:online:2 {"counter":"online","missingFrom":1,"missingTo":1,"missingCount":1,"nextCounter":2}`]);
    kit.close();
  });
});

describe('balance chain', () => {
  // Card D: load, purchase, load, purchase; the loads and purchases interleave.
  const D = [
    load({ card: CARD_D, counter: 0, amount: 10_000, before: 0, time: '080000' }),
    purchase({ card: CARD_D, counter: 0, ttsn: 200, amount: 1000, before: 10_000, terminal: POS, time: '090000' }),
    load({ card: CARD_D, counter: 1, amount: 5000, before: 9000, time: '100000' }),
    purchase({ card: CARD_D, counter: 1, ttsn: 201, amount: 2000, before: 14_000, terminal: POS, time: '110000' }),
  ];

  it('links loads and purchases by balance: arriving backwards ends with nothing open', async () => {
    const kit = fresh();
    const opened: string[][] = [];
    for (const r of [...D].reverse()) {
      kit.upload(r.kind === 'load' ? KIOSK : POS, [r]);
      await kit.clear();
      opened.push(openExceptions(kit.db).map((e) => e.split(' ').slice(0, 2).join(' ')));
    }
    expect(opened).toEqual([
      // The second purchase alone: no load explains 140.00 yet.
      [`BALANCE_MISMATCH inbox:1`, `COUNTER_GAP card:${CARD_D}:offline:1`],
      [`COUNTER_GAP card:${CARD_D}:offline:1`, `COUNTER_GAP card:${CARD_D}:online:1`],
      [`COUNTER_GAP card:${CARD_D}:online:1`],
      [],
    ]);
    expect(exceptionsOf(kit.db).find((e) => e.kind === 'BALANCE_MISMATCH')).toMatchObject({ status: 'resolved', resolvedBy: 'clearing' });
    expect(kit.db.prepare('SELECT kind, counter, step, expected_before FROM clearing_chain ORDER BY step').all()).toEqual([
      { kind: 'load', counter: 0, step: 0, expected_before: null },
      { kind: 'purchase', counter: 0, step: 1, expected_before: null },
      { kind: 'load', counter: 1, step: 2, expected_before: null },
      { kind: 'purchase', counter: 1, step: 3, expected_before: null },
    ]);
    expect(kit.ledger.shadowBalance(CARD_D)).toBe(12_000);
    kit.close();
  });

  it('a balance before that the chain does not reach is a BALANCE_MISMATCH on both links of the record', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [load({ card: CARD_E, counter: 0, amount: 10_000, before: 0, time: '080000' })]);
    kit.upload(POS, [
      purchase({ card: CARD_E, counter: 0, ttsn: 300, amount: 1000, before: 10_000, terminal: POS, time: '090000' }),
      // The terminal wrote 95.00 where the card held 90.00 (the TAC does not cover the balance).
      purchase({ card: CARD_E, counter: 1, ttsn: 301, amount: 500, before: 9500, terminal: POS, time: '091000' }),
      purchase({ card: CARD_E, counter: 2, ttsn: 302, amount: 100, before: 8500, terminal: POS, time: '092000' }),
    ]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 4, posted: 4, opened: { BALANCE_MISMATCH: 2 } }));
    expect(exceptionsOf(kit.db).map((e) => [e.subject, e.details])).toEqual([
      ['inbox:3', { record: { kind: 'purchase', counter: 1 }, balanceBefore: 9500, expectedBalanceBefore: 9000, difference: 500, previous: { kind: 'purchase', counter: 0, inboxId: 2 } }],
      ['inbox:4', { record: { kind: 'purchase', counter: 2 }, balanceBefore: 8500, expectedBalanceBefore: 9000, difference: -500, previous: { kind: 'purchase', counter: 1, inboxId: 3 } }],
    ]);
    // Posted all the same: the amounts are the card's.
    expect(kit.ledger.shadowBalance(CARD_E)).toBe(8400);
    kit.close();
  });
});

describe('hotlisted cards', () => {
  const F = [
    load({ card: CARD_F, counter: 0, amount: 5000, before: 0, time: '080000' }),
    purchase({ card: CARD_F, counter: 0, ttsn: 400, amount: 100, before: 5000, terminal: POS, time: '091400' }),
    purchase({ card: CARD_F, counter: 1, ttsn: 401, amount: 100, before: 4900, terminal: POS, time: '093000' }),
  ];

  it('posts a record made after the card was listed, flagged HOTLISTED_AFTER_BLOCK', async () => {
    const kit = fresh();
    new HotlistRepository(kit.db).append({ cardNumber: CARD_F, action: 'add', reason: 'lost', createdAt: '2026-11-23T09:15:00.000Z' });
    kit.upload(KIOSK, [F[0]!]);
    kit.upload(POS, [F[1]!, F[2]!]);
    expect(await kit.clear()).toEqual(summaryOf({ rows: 3, posted: 3, opened: { HOTLISTED_AFTER_BLOCK: 1 } }));
    expect(exceptionsOf(kit.db).map((e) => [e.kind, e.subject, e.details])).toEqual([
      ['HOTLISTED_AFTER_BLOCK', 'inbox:3', { listedAt: '2026-11-23T09:15:00.000Z', reason: 'lost', recordAt: '2026-11-23T09:30:00.000Z' }],
    ]);
    kit.close();
  });

  it('compares in the terminals\' time zone: 17:30 in Shanghai is 09:30 UTC', async () => {
    const kit = fresh();
    new HotlistRepository(kit.db).append({ cardNumber: CARD_F, action: 'add', reason: 'stolen', createdAt: '2026-11-23T09:15:00.000Z' });
    kit.upload(KIOSK, [load({ card: CARD_F, counter: 0, amount: 5000, before: 0, time: '160000' })]);
    kit.upload(POS, [
      purchase({ card: CARD_F, counter: 0, ttsn: 400, amount: 100, before: 5000, terminal: POS, time: '171400' }),
      purchase({ card: CARD_F, counter: 1, ttsn: 401, amount: 100, before: 4900, terminal: POS, time: '173000' }),
    ]);
    await clearInboxRows(kit.deps(tacs, { timeZone: 'Asia/Shanghai' }), kit.rows());
    expect(exceptionsOf(kit.db).map((e) => [e.subject, e.details])).toEqual([
      ['inbox:3', { listedAt: '2026-11-23T09:15:00.000Z', reason: 'stolen', recordAt: '2026-11-23T09:30:00.000Z' }],
    ]);
    expect(ledgerOf(kit.db)[0]).toBe(`load:${CARD_F}:0 5000 0 2026-11-23T08:00:00.000Z -`);
    kit.close();
  });

  it('does not flag a record made after the card was found again', async () => {
    const kit = fresh();
    const hotlist = new HotlistRepository(kit.db);
    hotlist.append({ cardNumber: CARD_F, action: 'add', reason: 'lost', createdAt: '2026-11-23T08:30:00.000Z' });
    hotlist.append({ cardNumber: CARD_F, action: 'remove', reason: 'found', createdAt: '2026-11-23T09:00:00.000Z' });
    kit.upload(KIOSK, [F[0]!]);
    kit.upload(POS, [F[1]!]);
    await kit.clear();
    expect(exceptionsOf(kit.db)).toEqual([]);
    kit.close();
  });
});

describe('idempotency and order', () => {
  /** Every fault at once, on four cards and three terminals. */
  function uploadScenario(kit: ClearingKit): void {
    kit.upload(KIOSK, [A_LOAD_0, load({ card: CARD_B, counter: 0, amount: 3000, before: 0, time: '080100' }), load({ card: CARD_C, counter: 0, amount: 10_000, before: 0, time: '070000' })]);
    kit.upload(POS, [A_COFFEE_0, forged(purchase({ card: CARD_B, counter: 0, ttsn: 101, amount: 80, before: 3000, terminal: POS, time: '090200' }))]);
    kit.upload(GATE, [A_RIDE_1, purchase({ card: CARD_C, counter: 0, ttsn: 10, amount: 100, before: 10_000, terminal: GATE, time: '080000' })]);
    kit.upload(POS, [{ ...A_COFFEE_0, recovered: true }, purchase({ card: CARD_A, counter: 1, ttsn: 102, amount: 50, before: 9750, terminal: POS, time: '093000' })]);
    kit.upload(GATE, [purchase({ card: CARD_C, counter: 3, ttsn: 13, amount: 100, before: 9700, terminal: GATE, time: '083000' })]);
    // Card B's next purchase starts where its forged one left the card: the counter gap explains it.
    kit.upload(POS, [purchase({ card: CARD_B, counter: 1, ttsn: 103, amount: 70, before: 2920, terminal: POS, time: '094000' })]);
    kit.upload(GATE, [
      purchase({ card: CARD_C, counter: 1, ttsn: 11, amount: 100, before: 9900, terminal: GATE, time: '081000' }),
      // 57.00 written where the card held 57.50.
      purchase({ card: CARD_A, counter: 2, ttsn: 8, amount: 100, before: 5700, terminal: GATE, time: '094500' }),
    ]);
  }

  function snapshot(kit: ClearingKit): unknown {
    return {
      ledger: ledgerOf(kit.db),
      open: openExceptions(kit.db),
      statuses: statusesOf(kit.db),
      flags: kit.db.prepare('SELECT card_number, inbox_id FROM clearing_card_flags ORDER BY card_number').all(),
      chain: kit.db.prepare('SELECT card_number, kind, counter, step, expected_before FROM clearing_chain ORDER BY card_number, step').all(),
      listed: [CARD_A, CARD_B, CARD_C].filter((c) => kit.hotlist.isListed(c)),
    };
  }

  /** Deterministic shuffle (LCG) so the order is a fixture, not a dice roll. */
  function shuffled<T>(items: readonly T[], seed: number): T[] {
    const out = [...items];
    let s = seed;
    for (let i = out.length - 1; i > 0; i--) {
      s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  it('clearing the same rows again changes nothing', async () => {
    const kit = fresh();
    uploadScenario(kit);
    const first = await kit.clear();
    expect(first).toMatchObject({ rows: 13, posted: 10, badTac: 1, duplicates: 1, clones: 1, hotlisted: [CARD_A] });
    const before = snapshot(kit);
    const all = () => kit.db.prepare('SELECT * FROM clearing_exceptions ORDER BY id').all();
    const exceptions = all();
    expect(await kit.clear()).toEqual(summaryOf({ rows: 13, alreadyCleared: 13 }));
    expect(await kit.clear([...kit.rows(), ...kit.rows()])).toEqual(summaryOf({ rows: 13, alreadyCleared: 13 }));
    expect(snapshot(kit)).toEqual(before);
    expect(all()).toEqual(exceptions);
    kit.close();
  });

  it('any order and any batches end in the same ledger, open exceptions, statuses and flags', async () => {
    const reference = fresh();
    uploadScenario(reference);
    await reference.clear();
    const expected = snapshot(reference);
    expect(expected).toMatchObject({
      open: [
        `BAD_TAC inbox:5 {"reason":"the TAC is not the card's"}`,
        `BALANCE_MISMATCH inbox:13 {"record":{"kind":"purchase","counter":2},"balanceBefore":5700,"expectedBalanceBefore":5750,"difference":-50,"previous":{"kind":"purchase","counter":1,"inboxId":6}}`,
        `CLONE inbox:9 {"original":6,"counter":"offline","differs":["amount","terminal","ttsn","dateTime","tac"]}`,
        `COUNTER_GAP card:${CARD_B}:offline:1 {"counter":"offline","missingFrom":0,"missingTo":0,"missingCount":1,"nextCounter":1}`,
        `COUNTER_GAP card:${CARD_C}:offline:3 {"counter":"offline","missingFrom":2,"missingTo":2,"missingCount":1,"nextCounter":3}`,
        `DUPLICATE inbox:8 {"of":4,"key":"card-counter","posted":false}`,
        // The forged purchase proves nothing, so TTSN 101 counts as missing.
        `TTSN_GAP terminal:${POS}:102 {"missingFrom":101,"missingTo":101,"missingCount":1,"nextTtsn":102}`,
        `TTSN_GAP terminal:${GATE}:10 {"missingFrom":9,"missingTo":9,"missingCount":1,"nextTtsn":10}`,
        `TTSN_GAP terminal:${GATE}:13 {"missingFrom":12,"missingTo":12,"missingCount":1,"nextTtsn":13}`,
      ],
    });
    reference.close();

    const orders: ((rows: ReturnType<ClearingKit['rows']>) => (typeof rows)[])[] = [
      (rows) => [...rows].reverse().map((r) => [r]),
      (rows) => {
        const mixed = shuffled(rows, 7);
        return [mixed.slice(0, 3), mixed.slice(3, 8), mixed.slice(8)];
      },
      (rows) => shuffled(rows, 1234).map((r) => [r]),
      (rows) => [rows.filter((r) => r.id % 2 === 0), rows, rows.filter((r) => r.id % 2 === 1)],
      // Sixteen more shuffles, cut into batches of 1 to 5 rows.
      ...Array.from({ length: 16 }, (_, k) => (rows: ReturnType<ClearingKit['rows']>) => {
        const mixed = shuffled(rows, 100 + k);
        const batches: (typeof rows)[] = [];
        for (let i = 0, size = 1 + (k % 5); i < mixed.length; i += size, size = 1 + ((size * 3 + k) % 5)) batches.push(mixed.slice(i, i + size));
        return batches;
      }),
    ];
    for (const order of orders) {
      const kit = fresh();
      uploadScenario(kit);
      for (const batch of order(kit.rows())) await kit.clear(batch);
      expect(snapshot(kit)).toEqual(expected);
      kit.close();
    }
  });
});

describe('review queue', () => {
  it('lists, counts and resolves exceptions; clearing never reopens what staff closed', async () => {
    const kit = fresh();
    kit.upload(KIOSK, [A_LOAD_0]);
    kit.upload(POS, [forged(A_COFFEE_0)]);
    kit.upload(GATE, [A_RIDE_1]);
    await kit.clear();
    const queue = new ClearingExceptionRepository(kit.db);
    expect(queue.list({ status: 'open' }).map((e) => [e.id, e.kind, e.subject, e.inboxId])).toEqual([
      [1, 'BAD_TAC', 'inbox:2', 2],
      [2, 'COUNTER_GAP', `card:${CARD_A}:offline:1`, 3],
    ]);
    expect(queue.list({ kind: 'COUNTER_GAP', cardNumber: CARD_A }).map((e) => e.id)).toEqual([2]);
    expect(queue.list({ afterId: 1, limit: 1 }).map((e) => e.id)).toEqual([2]);
    expect(queue.resolve(2, { status: 'resolved', by: 'staff-7', resolution: 'record lost with the terminal', at: '2026-11-23T13:00:00.000Z' })).toBe(true);
    expect(queue.resolve(2, { status: 'refunded', by: 'staff-8', resolution: null, at: '2026-11-23T13:01:00.000Z' })).toBe(false);
    expect(queue.counts()).toEqual([
      { kind: 'BAD_TAC', status: 'open', count: 1 },
      { kind: 'COUNTER_GAP', status: 'resolved', count: 1 },
    ]);
    // The genuine coffee arrives: the gap is filled, and the staff's resolution stands.
    kit.upload(POS, [A_COFFEE_0]);
    expect(await kit.clear()).toMatchObject({ posted: 1, autoResolved: 0 });
    expect(queue.get(2)).toMatchObject({ status: 'resolved', resolvedBy: 'staff-7', resolution: 'record lost with the terminal' });
    kit.close();
  });
});

describe('fixtures', () => {
  it('forged flips the first TAC byte only', () => {
    expect(forged(SPEC_PURCHASE).tac).toBe('A1F363C7');
    expect(fromHex(forged(A_LOAD_0).tac).subarray(1)).toEqual(fromHex(A_LOAD_0.tac).subarray(1));
  });
});
