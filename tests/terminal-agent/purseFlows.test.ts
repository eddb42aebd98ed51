/**
 * The purse flows over canned transports with the spec §8.2 worked example, and a real
 * test-profile HSM for the load cryptograms and TAC checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandParameterError, fromHex, toHex } from '@citycard/protocols';
import { ApduChannel, type CardTransport, CardRemovedError } from '@citycard/terminal-agent';
import {
  type LoadContext,
  type PendingLoad,
  type PendingPurchase,
  type PurchaseContext,
  blockHotlistedCard,
  loadOnline,
  loadTacRequestOf,
  purchaseOffline,
  purchaseTacRequestOf,
  recoverLoad,
  recoverPurchase,
  recoverTornTransaction,
} from '../../terminal-agent/src/purse/index.js';
import { FIXED_TIME, type TestHsm, makeTestHsm } from '../hsm-sim/fixtures.js';

// Spec §8.2: card 1000000000000001 under the test profile, terminal 000000000001, 20261123 093000 (UTC).
const CARD_NUMBER = '1000000000000001';
const EF15 = fromHex('0000000000000001 02 01 1000000000000001 20261123 20361122 00 000000');
const OTHER_EF15 = fromHex('0000000000000001 02 01 1000000000000002 20261123 20361122 00 000000');
const EP_FCI = Buffer.concat([fromHex('6F2D 8408F043495459455001 A521 9F0C1E'), EF15]);
const OTHER_FCI = Buffer.concat([fromHex('6F2D 8408F043495459455001 A521 9F0C1E'), OTHER_EF15]);
const PSAM_FCI = fromHex('6F15 8408F04349545953414D A509 5007434954595341 4D');
const SW_9000 = fromHex('9000');

const SELECT_EP_CMD = fromHex('00A4040008 F043495459455001 00');
const SELECT_EP_RSP = Buffer.concat([EP_FCI, SW_9000]);
const READ_EF15_CMD = fromHex('00B095001E');
const READ_EF15_RSP = Buffer.concat([EF15, SW_9000]);
const SELECT_PSAM_CMD = fromHex('00A4040008 F04349545953414D 00');
const SELECT_PSAM_RSP = Buffer.concat([PSAM_FCI, SW_9000]);
const READ_TERMINAL_CMD = fromHex('00B0960006');
const READ_TERMINAL_RSP = fromHex('000000000001 9000');

// Purchase of 250 onto balance 10000: random A1B2C3D4, offline counter 0005, TTSN 00000102.
const INIT_PURCHASE_CMD = fromHex('805001020B 01 000000FA 000000000001 0F');
const INIT_PURCHASE_RSP = fromHex('00002710 0005 000000 01 00 A1B2C3D4 9000');
const PSAM_MAC1_CMD = fromHex('807000001C A1B2C3D4 0005 000000FA 06 20261123 093000 01 00 1000000000000001 08');
const PSAM_MAC1_RSP = fromHex('00000102 AE47C133 9000');
const DEBIT_CMD = fromHex('805401000F 00000102 20261123 093000 AE47C133 08');
const DEBIT_RSP = fromHex('A0F363C7 0DEF3FA3 9000');
const VERIFY_MAC2_CMD = fromHex('8072000004 0DEF3FA3');

// Recovery of that purchase: INITIALIZE with amount 1, proof for counter 0006, log record 1.
const PROBE_PURCHASE_CMD = fromHex('805001020B 01 00000001 000000000001 0F');
const PROBE_PURCHASE_MOVED_RSP = fromHex('00002616 0006 000000 01 00 55667788 9000');
const PROBE_PURCHASE_STILL_RSP = fromHex('00002710 0005 000000 01 00 55667788 9000');
const PROBE_PURCHASE_FAR_RSP = fromHex('00002616 0008 000000 01 00 55667788 9000');
const PROOF_PURCHASE_CMD = fromHex('805A000602 0006 08');
const PROOF_PURCHASE_RSP = fromHex('0DEF3FA3 A0F363C7 9000');
const READ_LOG_1_CMD = fromHex('00B201C417');
const LOG_OUR_PURCHASE = fromHex('0005 000000 000000FA 06 000000000001 20261123 093000');
const LOG_OTHER_PURCHASE = fromHex('0005 000000 00000064 06 000000000009 20261123 091500');

// Load of 5000 onto balance 10000: random 0F1E2D3C, online counter 0002.
const INIT_LOAD_CMD = fromHex('805000020B 01 00001388 000000000001 10');
const INIT_LOAD_RSP = fromHex('00002710 0002 01 00 0F1E2D3C 1395117E 9000');
const INIT_LOAD_FORGED_MAC1_RSP = fromHex('00002710 0002 01 00 0F1E2D3C 1395117F 9000');
const CREDIT_CMD = fromHex('805200000B 20261123 093000 DCBB1D14 04');
const CREDIT_RSP = fromHex('CC3A082D 9000');
const CREDIT_FORGED_TAC_RSP = fromHex('CC3A082E 9000');
const PROBE_LOAD_CMD = fromHex('805000020B 01 00000001 000000000001 10');
const PROBE_LOAD_MOVED_RSP = fromHex('00003A98 0003 01 00 99AABBCC 01020304 9000');
const PROOF_LOAD_CMD = fromHex('805A000202 0003 08');
const PROOF_LOAD_RSP = fromHex('DCBB1D14 CC3A082D 9000');
const PROOF_OTHER_LOAD_RSP = fromHex('11111111 22222222 9000');

// Block: challenge 11223344, maintenance MAC E7400602 under the test-profile DAMK.
const GET_CHALLENGE_CMD = fromHex('0084000004');
const GET_CHALLENGE_RSP = fromHex('11223344 9000');
const MAINTENANCE_MAC_CMD = fromHex('8074000015 1000000000000001 11223344 841E000004 00000000 04');
const MAINTENANCE_MAC_RSP = fromHex('E7400602 9000');
const BLOCK_CMD = fromHex('841E000004 E7400602');

const SW_9401 = fromHex('9401');
const SW_6A81 = fromHex('6A81');
const SW_9403 = fromHex('9403');
const SW_9302 = fromHex('9302');
const SW_6581 = fromHex('6581');
const SW_9406 = fromHex('9406');
const SW_6A83 = fromHex('6A83');

type Answer = Buffer | Error;

/** A slot answering each command from a map of canned responses; records what it received. */
class CannedSlot implements CardTransport {
  readonly received: string[] = [];
  powerOns = 0;
  constructor(
    readonly name: string,
    private answers: Map<string, Answer>,
  ) {}
  with(...changes: [Buffer, Answer][]): this {
    for (const [cmd, rsp] of changes) this.answers.set(toHex(cmd), rsp);
    return this;
  }
  async powerOn(): Promise<Buffer> {
    this.powerOns++;
    return fromHex('3B8180018080');
  }
  async transmit(command: Uint8Array): Promise<Buffer> {
    this.received.push(toHex(command));
    const answer = this.answers.get(toHex(command));
    if (answer instanceof Error) throw answer;
    // 6D00 rather than a throw: a flow that sends something unplanned fails on that status word.
    return answer === undefined ? fromHex('6D00') : Buffer.from(answer);
  }
  async isPresent(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

function purchaseCard(): CannedSlot {
  return new CannedSlot(
    'card',
    new Map<string, Answer>([
      [toHex(SELECT_EP_CMD), SELECT_EP_RSP],
      [toHex(READ_EF15_CMD), READ_EF15_RSP],
      [toHex(INIT_PURCHASE_CMD), INIT_PURCHASE_RSP],
      [toHex(DEBIT_CMD), DEBIT_RSP],
      [toHex(INIT_LOAD_CMD), INIT_LOAD_RSP],
      [toHex(CREDIT_CMD), CREDIT_RSP],
    ]),
  );
}

function psam(): CannedSlot {
  return new CannedSlot(
    'psam',
    new Map<string, Answer>([
      [toHex(SELECT_PSAM_CMD), SELECT_PSAM_RSP],
      [toHex(READ_TERMINAL_CMD), READ_TERMINAL_RSP],
      [toHex(PSAM_MAC1_CMD), PSAM_MAC1_RSP],
      [toHex(VERIFY_MAC2_CMD), SW_9000],
      [toHex(MAINTENANCE_MAC_CMD), MAINTENANCE_MAC_RSP],
    ]),
  );
}

const channel = (slot: CardTransport) => new ApduChannel(slot, { clock: () => FIXED_TIME });

function purchaseContext(card: CannedSlot, sam: CannedSlot, extra: Partial<PurchaseContext> = {}): PurchaseContext {
  return { card: channel(card), psam: channel(sam), clock: () => FIXED_TIME, timeZone: 'UTC', ...extra };
}

let hsm: TestHsm;
beforeAll(() => {
  hsm = makeTestHsm();
});
afterAll(() => hsm.dispose());

function loadContext(card: CannedSlot, extra: Partial<LoadContext> = {}): LoadContext {
  return { card: channel(card), custodian: hsm.as('load'), terminal: '000000000001', clock: () => FIXED_TIME, timeZone: 'UTC', ...extra };
}

describe('purchaseOffline (spec §8.2 purchase)', () => {
  it('approves with the card TAC and MAC2 and keeps the exact APDU trail', async () => {
    const card = purchaseCard();
    const sam = psam();
    const outcome = await purchaseOffline(purchaseContext(card, sam), { amount: 250 });
    expect(outcome.kind).toBe('approved');
    if (outcome.kind !== 'approved') return;
    expect(outcome.newBalance).toBe(9750);
    const { trail, ...record } = outcome.record;
    expect(record).toEqual({
      kind: 'purchase',
      cardNumber: CARD_NUMBER,
      offlineCounter: 5,
      amount: 250,
      terminal: '000000000001',
      ttsn: 0x102,
      date: '20261123',
      time: '093000',
      balanceBefore: 10000,
      keyVersion: 1,
      algorithmId: 0,
      mac2: '0DEF3FA3',
      tac: 'A0F363C7',
      mac2Verified: true,
      recovered: false,
    });
    expect(trail.map((e) => [e.slot, e.command, e.response])).toEqual([
      ['psam', toHex(SELECT_PSAM_CMD), toHex(SELECT_PSAM_RSP)],
      ['psam', toHex(READ_TERMINAL_CMD), toHex(READ_TERMINAL_RSP)],
      ['card', toHex(SELECT_EP_CMD), toHex(SELECT_EP_RSP)],
      ['card', toHex(READ_EF15_CMD), toHex(READ_EF15_RSP)],
      ['card', toHex(INIT_PURCHASE_CMD), toHex(INIT_PURCHASE_RSP)],
      ['psam', toHex(PSAM_MAC1_CMD), toHex(PSAM_MAC1_RSP)],
      ['card', toHex(DEBIT_CMD), toHex(DEBIT_RSP)],
      ['psam', toHex(VERIFY_MAC2_CMD), '9000'],
    ]);
    expect(trail.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(trail[6]).toMatchObject({ name: 'DEBIT FOR PURCHASE', at: FIXED_TIME.toISOString() });
    // Plain data: survives JSON (SQLite row, upload) unchanged.
    expect(JSON.parse(JSON.stringify(outcome.record))).toEqual(outcome.record);
  });

  it('records a TAC the clearing HSM verifies, and one forged digit it rejects', async () => {
    const outcome = await purchaseOffline(purchaseContext(purchaseCard(), psam()), { amount: 250 });
    if (outcome.kind !== 'approved') throw new Error(`expected approved, got ${outcome.kind}`);
    const clearing = hsm.as('clearing');
    expect(await clearing.verifyPurchaseTac(purchaseTacRequestOf(outcome.record))).toBe(true);
    expect(await clearing.verifyPurchaseTac(purchaseTacRequestOf({ ...outcome.record, tac: 'A0F363C8' }))).toBe(false);
  });

  it('declines 9401 as insufficient funds and never debits', async () => {
    const card = purchaseCard().with([INIT_PURCHASE_CMD, SW_9401]);
    const outcome = await purchaseOffline(purchaseContext(card, psam()), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'INSUFFICIENT_FUNDS', sw: 0x9401 });
    expect(card.received).not.toContain(toHex(DEBIT_CMD));
    expect(outcome.kind === 'declined' && outcome.trail.length).toBe(5);
  });

  it('declines 6A81 as a blocked card', async () => {
    const outcome = await purchaseOffline(purchaseContext(purchaseCard().with([INIT_PURCHASE_CMD, SW_6A81]), psam()), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'CARD_BLOCKED', sw: 0x6a81 });
  });

  it('declines when the PSAM serves no MPK of the card key version (9403)', async () => {
    const card = purchaseCard();
    const outcome = await purchaseOffline(purchaseContext(card, psam().with([PSAM_MAC1_CMD, SW_9403])), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'PSAM_KEY_NOT_FOUND', sw: 0x9403 });
    expect(card.received).not.toContain(toHex(DEBIT_CMD));
  });

  it('declines when the card refuses the PSAM MAC1 (9302 changes nothing)', async () => {
    const outcome = await purchaseOffline(purchaseContext(purchaseCard().with([DEBIT_CMD, SW_9302]), psam()), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'MAC1_REJECTED', sw: 0x9302 });
  });

  it('declines a hotlisted card before INITIALIZE', async () => {
    const card = purchaseCard();
    const outcome = await purchaseOffline(purchaseContext(card, psam(), { isHotlisted: (n) => n === CARD_NUMBER }), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'CARD_HOTLISTED' });
    expect(card.received).toEqual([toHex(SELECT_EP_CMD), toHex(READ_EF15_CMD)]);
  });

  it('declines an expired card', async () => {
    const later = new Date('2036-11-23T09:30:00Z');
    const outcome = await purchaseOffline(purchaseContext(purchaseCard(), psam(), { clock: () => later }), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'CARD_EXPIRED' });
  });

  it('declines as CARD_REMOVED when the card leaves before the debit', async () => {
    const card = purchaseCard().with([INIT_PURCHASE_CMD, new CardRemovedError('gone')]);
    const outcome = await purchaseOffline(purchaseContext(card, psam()), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'CARD_REMOVED', sw: undefined });
  });

  it('reports unknown with a pending purchase when the debit answer is lost', async () => {
    const card = purchaseCard().with([DEBIT_CMD, new CardRemovedError('gone')]);
    const outcome = await purchaseOffline(purchaseContext(card, psam()), { amount: 250 });
    expect(outcome.kind).toBe('unknown');
    if (outcome.kind !== 'unknown') return;
    expect(outcome.pending).toMatchObject({ kind: 'purchase', cardNumber: CARD_NUMBER, offlineCounter: 5, ttsn: 0x102, balanceBefore: 10000 });
    expect(outcome.pending.trail.at(-1)).toMatchObject({ name: 'DEBIT FOR PURCHASE', command: toHex(DEBIT_CMD), response: null });
  });

  it('treats 6581 at the debit as unknown, not as declined', async () => {
    const outcome = await purchaseOffline(purchaseContext(purchaseCard().with([DEBIT_CMD, SW_6581]), psam()), { amount: 250 });
    expect(outcome.kind).toBe('unknown');
  });

  it('keeps the record as suspect when the PSAM finds MAC2 wrong', async () => {
    const outcome = await purchaseOffline(purchaseContext(purchaseCard(), psam().with([VERIFY_MAC2_CMD, SW_9302])), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'suspect', reason: 'MAC2_INVALID', newBalance: 9750, record: { mac2Verified: false, tac: 'A0F363C7' } });
  });

  it('keeps the record as suspect when the PSAM cannot check MAC2', async () => {
    const sam = psam().with([VERIFY_MAC2_CMD, new Error('PSAM reader unplugged')]);
    const outcome = await purchaseOffline(purchaseContext(purchaseCard(), sam), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'suspect', reason: 'MAC2_UNVERIFIED' });
  });

  it('refuses an amount of 0 before sending anything', async () => {
    const card = purchaseCard();
    await expect(purchaseOffline(purchaseContext(card, psam()), { amount: 0 })).rejects.toBeInstanceOf(CommandParameterError);
    expect(card.received).toEqual([]);
  });
});

describe('recoverPurchase (spec §6)', () => {
  async function tornPurchase(): Promise<PendingPurchase> {
    const outcome = await purchaseOffline(purchaseContext(purchaseCard().with([DEBIT_CMD, new CardRemovedError('gone')]), psam()), { amount: 250 });
    if (outcome.kind !== 'unknown') throw new Error(`expected unknown, got ${outcome.kind}`);
    return outcome.pending;
  }

  it('recovers a committed debit with GET TRANSACTION PROOF and the log record', async () => {
    const pending = await tornPurchase();
    const card = purchaseCard().with(
      [PROBE_PURCHASE_CMD, PROBE_PURCHASE_MOVED_RSP],
      [PROOF_PURCHASE_CMD, PROOF_PURCHASE_RSP],
      [READ_LOG_1_CMD, Buffer.concat([LOG_OUR_PURCHASE, SW_9000])],
    );
    const outcome = await recoverPurchase({ card: channel(card) }, pending);
    expect(card.powerOns).toBe(1);
    expect(outcome.kind).toBe('recovered');
    if (outcome.kind !== 'recovered') return;
    expect(outcome.newBalance).toBe(9750);
    expect(outcome.record).toMatchObject({ mac2: '0DEF3FA3', tac: 'A0F363C7', recovered: true, mac2Verified: false, ttsn: 0x102 });
    expect(outcome.record.trail.map((e) => e.name)).toEqual([
      ...pending.trail.map((e) => e.name),
      'SELECT',
      'READ BINARY EF 15',
      'INITIALIZE FOR PURCHASE',
      'GET TRANSACTION PROOF',
      'READ RECORD EF 18',
    ]);
    expect(outcome.record.trail.map((e) => e.seq)).toEqual(outcome.record.trail.map((_, i) => i));
    expect(await hsm.as('clearing').verifyPurchaseTac(purchaseTacRequestOf(outcome.record))).toBe(true);
  });

  it('is certain nothing was debited when the counter has not moved', async () => {
    const card = purchaseCard().with([PROBE_PURCHASE_CMD, PROBE_PURCHASE_STILL_RSP]);
    const outcome = await recoverPurchase({ card: channel(card) }, await tornPurchase());
    expect(outcome.kind).toBe('notCommitted');
    expect(card.received).not.toContain(toHex(PROOF_PURCHASE_CMD));
  });

  it('is certain nothing was debited on 9406', async () => {
    const card = purchaseCard().with([PROBE_PURCHASE_CMD, PROBE_PURCHASE_MOVED_RSP], [PROOF_PURCHASE_CMD, SW_9406]);
    expect(await recoverPurchase({ card: channel(card) }, await tornPurchase())).toMatchObject({ kind: 'notCommitted' });
  });

  it('does not take another purchase logged at that counter for ours', async () => {
    const card = purchaseCard().with(
      [PROBE_PURCHASE_CMD, PROBE_PURCHASE_MOVED_RSP],
      [PROOF_PURCHASE_CMD, fromHex('01020304 05060708 9000')],
      [READ_LOG_1_CMD, Buffer.concat([LOG_OTHER_PURCHASE, SW_9000])],
    );
    expect(await recoverPurchase({ card: channel(card) }, await tornPurchase())).toMatchObject({ kind: 'notCommitted' });
  });

  it('leaves it unresolved when the card moved on and kept no proof', async () => {
    const card = purchaseCard().with([PROBE_PURCHASE_CMD, PROBE_PURCHASE_FAR_RSP], [PROOF_PURCHASE_CMD, SW_9406]);
    expect(await recoverPurchase({ card: channel(card) }, await tornPurchase())).toMatchObject({ kind: 'unresolved' });
  });

  it('lets the proof decide when INITIALIZE is refused (empty purse)', async () => {
    const card = purchaseCard().with(
      [PROBE_PURCHASE_CMD, SW_9401],
      [PROOF_PURCHASE_CMD, PROOF_PURCHASE_RSP],
      [READ_LOG_1_CMD, SW_6A83],
    );
    const outcome = await recoverPurchase({ card: channel(card) }, await tornPurchase());
    expect(outcome).toMatchObject({ kind: 'recovered', newBalance: undefined, record: { tac: 'A0F363C7' } });
  });

  it('refuses another card and asks it nothing more', async () => {
    const card = purchaseCard().with(
      [SELECT_EP_CMD, Buffer.concat([OTHER_FCI, SW_9000])],
      [READ_EF15_CMD, Buffer.concat([OTHER_EF15, SW_9000])],
    );
    const outcome = await recoverTornTransaction({ card: channel(card) }, await tornPurchase());
    expect(outcome).toMatchObject({ kind: 'wrongCard', presented: '1000000000000002', expected: CARD_NUMBER });
    expect(card.received).toEqual([toHex(SELECT_EP_CMD), toHex(READ_EF15_CMD)]);
  });
});

describe('loadOnline (spec §8.2 load, test-profile HSM)', () => {
  it('loads 5000 with the HSM MAC2 and a TAC the HSM verifies', async () => {
    const card = purchaseCard();
    const outcome = await loadOnline(loadContext(card), { amount: 5000 });
    expect(outcome.kind).toBe('approved');
    if (outcome.kind !== 'approved') return;
    expect(outcome.newBalance).toBe(15000);
    const { trail, ...record } = outcome.record;
    expect(record).toEqual({
      kind: 'load',
      cardNumber: CARD_NUMBER,
      onlineCounter: 2,
      amount: 5000,
      terminal: '000000000001',
      date: '20261123',
      time: '093000',
      balanceBefore: 10000,
      keyVersion: 1,
      algorithmId: 0,
      mac2: 'DCBB1D14',
      tac: 'CC3A082D',
      tacVerified: true,
      recovered: false,
    });
    expect(trail.map((e) => e.command)).toEqual([SELECT_EP_CMD, READ_EF15_CMD, INIT_LOAD_CMD, CREDIT_CMD].map(toHex));
    expect(await hsm.as('clearing').verifyLoadTac(loadTacRequestOf(outcome.record))).toBe(true);
  });

  it('declines a card whose MAC1 the HSM rejects, and never credits', async () => {
    const card = purchaseCard().with([INIT_LOAD_CMD, INIT_LOAD_FORGED_MAC1_RSP]);
    const outcome = await loadOnline(loadContext(card), { amount: 5000 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'CARD_MAC1_REJECTED' });
    expect(card.received.some((c) => c.startsWith('8052'))).toBe(false);
  });

  it('keeps a load whose TAC the HSM rejects as suspect', async () => {
    const outcome = await loadOnline(loadContext(purchaseCard().with([CREDIT_CMD, CREDIT_FORGED_TAC_RSP])), { amount: 5000 });
    expect(outcome).toMatchObject({ kind: 'suspect', reason: 'TAC_INVALID', record: { tacVerified: false, tac: 'CC3A082E' } });
  });

  it('declines 9302 at CREDIT as MAC2 refused and 6985 at INITIALIZE as over the max balance', async () => {
    expect(await loadOnline(loadContext(purchaseCard().with([CREDIT_CMD, SW_9302])), { amount: 5000 })).toMatchObject({
      kind: 'declined',
      reason: 'MAC2_REJECTED',
    });
    expect(await loadOnline(loadContext(purchaseCard().with([INIT_LOAD_CMD, fromHex('6985')])), { amount: 5000 })).toMatchObject({
      kind: 'declined',
      reason: 'OVER_MAX_BALANCE',
    });
  });

  it('refuses a malformed terminal number before sending anything', async () => {
    const card = purchaseCard();
    await expect(loadOnline(loadContext(card, { terminal: '0001' }), { amount: 5000 })).rejects.toBeInstanceOf(CommandParameterError);
    expect(card.received).toEqual([]);
  });
});

describe('recoverLoad (spec §6)', () => {
  async function tornLoad(): Promise<PendingLoad> {
    const outcome = await loadOnline(loadContext(purchaseCard().with([CREDIT_CMD, new CardRemovedError('gone')])), { amount: 5000 });
    if (outcome.kind !== 'unknown') throw new Error(`expected unknown, got ${outcome.kind}`);
    return outcome.pending;
  }

  it('recovers a committed load whose proof carries our MAC2, TAC checked by the HSM', async () => {
    const pending = await tornLoad();
    expect(pending.mac2).toBe('DCBB1D14');
    const card = purchaseCard().with([PROBE_LOAD_CMD, PROBE_LOAD_MOVED_RSP], [PROOF_LOAD_CMD, PROOF_LOAD_RSP]);
    const outcome = await recoverLoad({ card: channel(card), custodian: hsm.as('load') }, pending);
    expect(outcome).toMatchObject({ kind: 'recovered', newBalance: 15000, record: { tac: 'CC3A082D', tacVerified: true, recovered: true } });
  });

  it('does not take another load proof for ours', async () => {
    const card = purchaseCard().with([PROBE_LOAD_CMD, PROBE_LOAD_MOVED_RSP], [PROOF_LOAD_CMD, PROOF_OTHER_LOAD_RSP]);
    const outcome = await recoverTornTransaction({ card: channel(card), custodian: hsm.as('load') }, await tornLoad());
    expect(outcome.kind).toBe('notCommitted');
  });

  it('needs the custodian to recover a load', async () => {
    await expect(recoverTornTransaction({ card: channel(purchaseCard()) }, await tornLoad())).rejects.toBeInstanceOf(TypeError);
  });
});

describe('blockHotlistedCard', () => {
  it('blocks with GET CHALLENGE, the PSAM maintenance MAC and APPLICATION BLOCK', async () => {
    const card = purchaseCard().with([GET_CHALLENGE_CMD, GET_CHALLENGE_RSP], [BLOCK_CMD, SW_9000]);
    const sam = psam();
    const outcome = await blockHotlistedCard({ card: channel(card), psam: channel(sam) }, CARD_NUMBER);
    expect(outcome.kind).toBe('blocked');
    expect(outcome.trail.map((e) => [e.slot, e.command])).toEqual([
      ['psam', toHex(SELECT_PSAM_CMD)],
      ['card', toHex(SELECT_EP_CMD)],
      ['card', toHex(READ_EF15_CMD)],
      ['card', toHex(GET_CHALLENGE_CMD)],
      ['psam', toHex(MAINTENANCE_MAC_CMD)],
      ['card', toHex(BLOCK_CMD)],
    ]);
  });

  it('blocks nothing on another card', async () => {
    const card = purchaseCard();
    const outcome = await blockHotlistedCard({ card: channel(card), psam: channel(psam()) }, '1000000000000009');
    expect(outcome).toMatchObject({ kind: 'wrongCard', presented: CARD_NUMBER });
    expect(card.received).not.toContain(toHex(GET_CHALLENGE_CMD));
  });

  it('reports a refused MAC', async () => {
    const card = purchaseCard().with([GET_CHALLENGE_CMD, GET_CHALLENGE_RSP], [BLOCK_CMD, SW_9302]);
    const outcome = await blockHotlistedCard({ card: channel(card), psam: channel(psam()) }, CARD_NUMBER);
    expect(outcome).toMatchObject({ kind: 'refused', sw: 0x9302 });
  });
});
