/**
 * The purse flows against in-process cards: a citizen card with the EP application and a PSAM
 * card, both card-os VirtualCards over MemoryStores behind InProcessAdapters, and a test-profile
 * HSM (LocalHsm) for loads and for clearing's TAC checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, StoreTransaction, VirtualCard, type RandomSource } from '@citycard/card-os';
import { fromHex, getChallengeCommand } from '@citycard/protocols';
import { ApduChannel, type CardTransport, InProcessAdapter } from '@citycard/terminal-agent';
import { encodeEpKey, epApplication, epKeyStoreKey } from '../../card-os/src/applications/ep/index.js';
import { psamApplication, psamMpkKey } from '../../card-os/src/applications/psam/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';
import { personalizePsamTestProfile } from '../../card-os/src/personalization/psamTestProfile.js';
import { getBalanceCommand, readEpLogRecordCommand, selectEpCommand } from '../../protocols/src/commands/purse/index.js';
import {
  type LoadContext,
  type PurchaseContext,
  type PurchaseRecord,
  blockHotlistedCard,
  loadOnline,
  loadTacRequestOf,
  openPsamSlot,
  purchaseOffline,
  purchaseTacRequestOf,
} from '../../terminal-agent/src/purse/index.js';
import { FIXED_TIME, type TestHsm, countingRandom, makeTestHsm } from '../hsm-sim/fixtures.js';

const CARD_NUMBER = '1000000000000001';
const TERMINAL = '000000000001';
const START_BALANCE = 10000;
// A key that is not the test profile's: a counterfeit PSAM's MPK, a counterfeit card's DLK.
const ROGUE_KEY = fromHex('0123456789ABCDEFFEDCBA9876543210');

interface Rig {
  readonly epCard: VirtualCard;
  readonly cardStore: MemoryStore;
  readonly psamStore: MemoryStore;
  readonly card: ApduChannel;
  readonly psam: ApduChannel;
}

function makeRig(options: { psamKeyVersions?: number[]; wrapCard?: (t: CardTransport) => CardTransport } = {}): Rig {
  const cardStore = new MemoryStore();
  personalizeEpTestProfile(cardStore, { cardNumber: CARD_NUMBER, balance: START_BALANCE, now: FIXED_TIME, timeZone: 'UTC' });
  const psamStore = new MemoryStore();
  personalizePsamTestProfile(psamStore, { terminalNumber: TERMINAL, keyVersions: options.psamKeyVersions });
  const random: RandomSource = countingRandom();
  const epCard = new VirtualCard({ store: cardStore, applications: [epApplication], random });
  const psamCard = new VirtualCard({ store: psamStore, applications: [psamApplication] });
  const cardSlot = new InProcessAdapter(epCard, 'card');
  const psamSlot = new InProcessAdapter(psamCard, 'psam');
  const clock = { clock: () => FIXED_TIME };
  const cardTransport = options.wrapCard === undefined ? cardSlot : options.wrapCard(cardSlot);
  return { epCard, cardStore, psamStore, card: new ApduChannel(cardTransport, clock), psam: new ApduChannel(psamSlot, clock) };
}

async function powerOn(rig: Rig): Promise<void> {
  await rig.card.transport.powerOn();
  await rig.psam.transport.powerOn();
}

async function balanceOf(rig: Rig): Promise<number> {
  await rig.card.send(selectEpCommand());
  return rig.card.send(getBalanceCommand());
}

let hsm: TestHsm;
beforeAll(() => {
  hsm = makeTestHsm();
});
afterAll(() => hsm.dispose());

const purchaseCtx = (rig: Rig): PurchaseContext => ({ card: rig.card, psam: rig.psam, clock: () => FIXED_TIME, timeZone: 'UTC' });
const loadCtx = (rig: Rig): LoadContext => ({
  card: rig.card,
  custodian: hsm.as('load'),
  terminal: TERMINAL,
  clock: () => FIXED_TIME,
  timeZone: 'UTC',
});

describe('load then purchases on an in-process EP card with a PSAM', () => {
  it('loads, buys twice, and every TAC verifies at the HSM', async () => {
    const rig = makeRig();
    await powerOn(rig);

    const load = await loadOnline(loadCtx(rig), { amount: 5000 });
    expect(load).toMatchObject({ kind: 'approved', newBalance: 15000, record: { tacVerified: true, onlineCounter: 0, balanceBefore: 10000 } });

    const first = await purchaseOffline(purchaseCtx(rig), { amount: 250 });
    const second = await purchaseOffline(purchaseCtx(rig), { amount: 1000 });
    expect(first).toMatchObject({ kind: 'approved', newBalance: 14750, record: { ttsn: 1, offlineCounter: 0, mac2Verified: true } });
    expect(second).toMatchObject({ kind: 'approved', newBalance: 13750, record: { ttsn: 2, offlineCounter: 1, balanceBefore: 14750 } });
    expect(await balanceOf(rig)).toBe(13750);

    const records = [first, second].map((o) => (o as { record: PurchaseRecord }).record);
    expect(await hsm.as('clearing').verifyPurchaseTacs(records.map(purchaseTacRequestOf))).toEqual([true, true]);
    if (load.kind !== 'approved') return;
    expect(await hsm.as('clearing').verifyLoadTac(loadTacRequestOf(load.record))).toBe(true);
  });

  it('is logged by the card, newest first, as the records say', async () => {
    const rig = makeRig();
    await powerOn(rig);
    await purchaseOffline(purchaseCtx(rig), { amount: 250 });
    await rig.card.send(selectEpCommand());
    expect(await rig.card.send(readEpLogRecordCommand(1))).toEqual({
      counter: 0,
      overdraftLimit: 0,
      amount: 250,
      type: 6,
      terminal: TERMINAL,
      date: '20261123',
      time: '093000',
    });
    expect(await rig.card.send(readEpLogRecordCommand(2))).toBeUndefined();
  });

  it('declines insufficient funds, the single-purchase limit and the max balance, changing nothing', async () => {
    const rig = makeRig();
    await powerOn(rig);
    expect(await purchaseOffline(purchaseCtx(rig), { amount: 20000 })).toMatchObject({ kind: 'declined', reason: 'INSUFFICIENT_FUNDS', sw: 0x9401 });
    expect(await purchaseOffline(purchaseCtx(rig), { amount: 60000 })).toMatchObject({ kind: 'declined', reason: 'OVER_PURCHASE_LIMIT' });
    expect(await loadOnline(loadCtx(rig), { amount: 95000 })).toMatchObject({ kind: 'declined', reason: 'OVER_MAX_BALANCE' });
    expect(await balanceOf(rig)).toBe(START_BALANCE);
  });
});

describe('a gate keeping its PSAM selected', () => {
  it('opens the SAM slot once, then buys with six APDUs each and the HSM verifies every TAC', async () => {
    const rig = makeRig();
    await powerOn(rig);
    const psamTerminal = await openPsamSlot(rig.psam);
    expect(psamTerminal).toEqual(fromHex(TERMINAL));
    const ctx: PurchaseContext = { ...purchaseCtx(rig), psamTerminal };
    const records = [];
    for (const amount of [150, 200]) {
      const outcome = await purchaseOffline(ctx, { amount });
      expect(outcome.kind).toBe('approved');
      if (outcome.kind !== 'approved') return;
      expect(outcome.record.trail.filter((e) => e.slot === 'psam')).toHaveLength(2);
      expect(outcome.record.trail).toHaveLength(6);
      records.push(outcome.record);
    }
    expect(records.map((r) => r.ttsn)).toEqual([1, 2]);
    expect(await hsm.as('clearing').verifyPurchaseTacs(records.map(purchaseTacRequestOf))).toEqual([true, true]);
    expect(await balanceOf(rig)).toBe(START_BALANCE - 350);
  });
});

describe('blockHotlistedCard on an in-process EP card', () => {
  it('blocks the purse: purchases and loads answer 6A81, the balance stays readable', async () => {
    const rig = makeRig();
    await powerOn(rig);
    expect(await blockHotlistedCard({ card: rig.card, psam: rig.psam }, CARD_NUMBER)).toMatchObject({ kind: 'blocked', cardNumber: CARD_NUMBER });
    expect(await purchaseOffline(purchaseCtx(rig), { amount: 250 })).toMatchObject({ kind: 'declined', reason: 'CARD_BLOCKED', sw: 0x6a81 });
    expect(await loadOnline(loadCtx(rig), { amount: 100 })).toMatchObject({ kind: 'declined', reason: 'CARD_BLOCKED' });
    expect(await blockHotlistedCard({ card: rig.card, psam: rig.psam }, CARD_NUMBER)).toMatchObject({ kind: 'blocked' });
    expect(await balanceOf(rig)).toBe(START_BALANCE);
  });

  it('is refused (9302) when the card challenge changed between the PSAM MAC and the block', async () => {
    const rig = makeRig({
      wrapCard: (inner) => ({
        name: inner.name,
        powerOn: () => inner.powerOn(),
        isPresent: () => inner.isPresent(),
        close: () => inner.close(),
        async transmit(command) {
          // Someone else asks the card for a challenge just before APPLICATION BLOCK: the MAC no longer fits.
          if (command[0] === 0x84 && command[1] === 0x1e) await inner.transmit(getChallengeCommand(4).apdu);
          return inner.transmit(command);
        },
      }),
    });
    await powerOn(rig);
    expect(await blockHotlistedCard({ card: rig.card, psam: rig.psam }, CARD_NUMBER)).toMatchObject({ kind: 'refused', sw: 0x9302 });
    expect(await purchaseOffline(purchaseCtx(rig), { amount: 250 })).toMatchObject({ kind: 'approved' });
  });
});

describe('fraud', () => {
  it('the custodian rejects a forged purchase TAC and a record with a changed amount', async () => {
    const rig = makeRig();
    await powerOn(rig);
    const outcome = await purchaseOffline(purchaseCtx(rig), { amount: 250 });
    if (outcome.kind !== 'approved') throw new Error(`expected approved, got ${outcome.kind}`);
    const clearing = hsm.as('clearing');
    const forgedTac = outcome.record.tac.slice(0, 7) + (outcome.record.tac.endsWith('0') ? '1' : '0');
    expect(await clearing.verifyPurchaseTac(purchaseTacRequestOf({ ...outcome.record, tac: forgedTac }))).toBe(false);
    expect(await clearing.verifyPurchaseTac(purchaseTacRequestOf({ ...outcome.record, amount: 25 }))).toBe(false);
    expect(await clearing.verifyPurchaseTac(purchaseTacRequestOf({ ...outcome.record, ttsn: outcome.record.ttsn + 1 }))).toBe(false);
    expect(await clearing.verifyPurchaseTac(purchaseTacRequestOf(outcome.record))).toBe(true);
  });

  it('a wrong MAC2 on the way back makes the PSAM refuse it: the debit is kept as suspect, its TAC still proves it', async () => {
    const rig = makeRig({
      wrapCard: (inner) => ({
        name: inner.name,
        powerOn: () => inner.powerOn(),
        isPresent: () => inner.isPresent(),
        close: () => inner.close(),
        async transmit(command) {
          const response = await inner.transmit(command);
          // DEBIT answers TAC ‖ MAC2 ‖ 9000: flip a bit of MAC2.
          if (command[1] === 0x54 && response.length === 10) response[7]! ^= 0x01;
          return response;
        },
      }),
    });
    await powerOn(rig);
    const outcome = await purchaseOffline(purchaseCtx(rig), { amount: 250 });
    expect(outcome).toMatchObject({ kind: 'suspect', reason: 'MAC2_INVALID', record: { mac2Verified: false } });
    expect(await balanceOf(rig)).toBe(START_BALANCE - 250);
    if (outcome.kind !== 'suspect') return;
    expect(await hsm.as('clearing').verifyPurchaseTac(purchaseTacRequestOf(outcome.record))).toBe(true);
  });

  it('a PSAM without the card key version declines before any debit', async () => {
    const rig = makeRig({ psamKeyVersions: [2] });
    await powerOn(rig);
    expect(await purchaseOffline(purchaseCtx(rig), { amount: 250 })).toMatchObject({ kind: 'declined', reason: 'PSAM_KEY_NOT_FOUND', sw: 0x9403 });
    expect(await balanceOf(rig)).toBe(START_BALANCE);
  });

  it('a PSAM with a rogue MPK gets its MAC1 refused by the card (9302), nothing debited', async () => {
    const rig = makeRig();
    new StoreTransaction(rig.psamStore).set(psamMpkKey(1), ROGUE_KEY).commit();
    await powerOn(rig);
    expect(await purchaseOffline(purchaseCtx(rig), { amount: 250 })).toMatchObject({ kind: 'declined', reason: 'MAC1_REJECTED', sw: 0x9302 });
    expect(await balanceOf(rig)).toBe(START_BALANCE);
  });

  it('a card with a rogue load key gets its MAC1 rejected by the HSM, nothing loaded', async () => {
    const rig = makeRig();
    new StoreTransaction(rig.cardStore).set(epKeyStoreKey('DLK'), encodeEpKey(1, ROGUE_KEY)).commit();
    await powerOn(rig);
    const outcome = await loadOnline(loadCtx(rig), { amount: 5000 });
    expect(outcome).toMatchObject({ kind: 'declined', reason: 'CARD_MAC1_REJECTED' });
    expect(outcome.kind === 'declined' && outcome.trail.map((e) => e.name)).not.toContain('CREDIT FOR LOAD');
    expect(await balanceOf(rig)).toBe(START_BALANCE);
  });

  it('a card with a rogue TAC key loads, but the HSM rejects its TAC', async () => {
    const rig = makeRig();
    new StoreTransaction(rig.cardStore).set(epKeyStoreKey('DTK'), encodeEpKey(1, ROGUE_KEY)).commit();
    await powerOn(rig);
    expect(await loadOnline(loadCtx(rig), { amount: 5000 })).toMatchObject({ kind: 'suspect', reason: 'TAC_INVALID', record: { tacVerified: false } });
  });
});
