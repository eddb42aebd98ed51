/**
 * processTap over in-process cards (card-os EP and PSAM over MemoryStores) and a real RecordStore
 * file: the outcomes a gate prints, the intent written before DEBIT, recovery on the re-tap, the
 * recovery window, the risk policy (and blocking), and the purchase's `beforeDebit` hook.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore, VirtualCard } from '@citycard/card-os';
import { type ApduChannel, type CardTransport, InProcessAdapter, TransportError, openPsamSlot } from '@citycard/terminal-agent';
import { purchaseOffline } from '../../terminal-agent/src/purse/index.js';
import { RecordStore } from '../../terminal-agent/src/store/index.js';
import {
  DEFAULT_RECOVERY_WINDOW_MS,
  FareRuleError,
  type FareRule,
  type TapContext,
  type TapRiskDecision,
  type TapRiskPolicy,
  WINDOW_PASSED_DETAIL,
  processTap,
  settleIntents,
} from '../../terminal-agent/src/tap/index.js';
import { CutSlot, TAP_TIME, TIME_ZONE, cardTruth, channelOf, epCard, psamCard } from './tapRig.fixture.js';

const CARD_NUMBER = '1000000000000001';
const TERMINAL = '000000000001';
const START_BALANCE = 10000;
const FARE: FareRule = { kind: 'flat', amount: 250 };
/** The card's MAC2 and TAC for 250 fen, counter 0, TTSN 1, 20261123 093000 (card random seeded 1). */
const FIRST_MAC2 = '596B48D8';
const FIRST_TAC = '18B0CCA7';
/** Card APDUs of a clean flat tap: SELECT, READ EF 15 (the tap), SELECT, READ EF 15, INITIALIZE, DEBIT. */
const DEBIT_INDEX = 5;
const INS_DEBIT = 0x54;
const INS_VERIFY_MAC2 = 0x72;
const CLEAN_TRAIL = [
  'card SELECT',
  'card READ BINARY EF 15',
  'card SELECT',
  'card READ BINARY EF 15',
  'card INITIALIZE FOR PURCHASE',
  'psam MAC1 FOR PURCHASE',
  'card DEBIT FOR PURCHASE',
  'psam VERIFY MAC2',
];

interface Rig {
  readonly dir: string;
  readonly store: RecordStore;
  readonly slot: InProcessAdapter;
  readonly cut: CutSlot;
  readonly ep: VirtualCard;
  readonly card: ApduChannel;
  readonly psam: ApduChannel;
  readonly psamTerminal: Buffer;
}

let rig: Rig;
/** The terminal's clock: stands still until a test moves it. */
let now = TAP_TIME;
const clock = (): Date => now;

async function makeRig(options: { balance?: number; wrapPsam?: (t: CardTransport) => CardTransport } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'citycard-tap-'));
  const ep = epCard(new MemoryStore(), CARD_NUMBER, options.balance ?? START_BALANCE, 1);
  const slot = new InProcessAdapter(ep, 'card');
  const cut = new CutSlot(slot);
  const psamSlot = new InProcessAdapter(psamCard(new MemoryStore(), TERMINAL), 'psam');
  const card = channelOf(cut, clock);
  const psam = channelOf(options.wrapPsam === undefined ? psamSlot : options.wrapPsam(psamSlot), clock);
  await slot.powerOn();
  await psamSlot.powerOn();
  const psamTerminal = await openPsamSlot(psam);
  return { dir, store: new RecordStore(join(dir, 'records.sqlite')), slot, cut, ep, card, psam, psamTerminal };
}

function ctx(extra: Partial<TapContext> = {}): TapContext {
  return {
    card: rig.card,
    psam: rig.psam,
    psamTerminal: rig.psamTerminal,
    store: rig.store,
    clock,
    timeZone: TIME_ZONE,
    ...extra,
  };
}

/** Put the card back (if it left) and power it on: the passenger taps again. */
async function retap(): Promise<void> {
  rig.cut.disarm();
  if (!(await rig.slot.isPresent())) rig.slot.insert(rig.ep);
  await rig.slot.powerOn();
}

const trailNames = (trail: readonly { slot: string; name: string }[]): string[] => trail.map((e) => `${e.slot} ${e.name}`);

class RecordingRisk implements TapRiskPolicy {
  readonly calls: [string, number, string][] = [];
  constructor(private readonly decision: TapRiskDecision) {}
  check(cardNumber: string, amount: number, now: Date): TapRiskDecision {
    this.calls.push([cardNumber, amount, now.toISOString()]);
    return this.decision;
  }
}

beforeEach(async () => {
  now = TAP_TIME;
  rig = await makeRig();
});
afterEach(() => {
  rig.store.close();
  rmSync(rig.dir, { recursive: true, force: true });
});

describe('a tap', () => {
  it('debits the fare, stores the record with the tap reads first and completes the intent', async () => {
    const outcome = await processTap(ctx(), FARE);
    expect(outcome).toMatchObject({ kind: 'approved', cardNumber: CARD_NUMBER, amount: 250, balanceAfter: 9750, journey: { kind: 'flat' } });
    if (outcome.kind !== 'approved' || outcome.record === undefined) throw new Error('expected a record');
    expect(outcome.record).toMatchObject({
      cardNumber: CARD_NUMBER,
      offlineCounter: 0,
      ttsn: 1,
      terminal: TERMINAL,
      amount: 250,
      date: '20261123',
      time: '093000',
      balanceBefore: START_BALANCE,
      mac2: FIRST_MAC2,
      tac: FIRST_TAC,
      mac2Verified: true,
      recovered: false,
    });
    expect(trailNames(outcome.record.trail)).toEqual(CLEAN_TRAIL);
    expect(outcome.record.trail.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rig.store.purchases(CARD_NUMBER)).toEqual([outcome.record]);
    expect(rig.store.intent(1)).toMatchObject({ status: 'completed', recordId: 1 });
    expect(rig.store.pendingIntents()).toEqual([]);
  });

  it('has the intent on disk before DEBIT goes out', async () => {
    const file = join(rig.dir, 'records.sqlite');
    const seen: unknown[] = [];
    const watching: CardTransport = {
      name: 'card',
      powerOn: () => rig.cut.powerOn(),
      isPresent: () => rig.cut.isPresent(),
      close: () => rig.cut.close(),
      transmit: async (command) => {
        if (command[1] === INS_DEBIT) {
          // Another connection sees only what was committed.
          const other = new RecordStore(file);
          seen.push(...other.pendingIntents().map((i) => ({ id: i.id, amount: i.pending.amount, ttsn: i.pending.ttsn, trail: trailNames(i.pending.trail) })));
          other.close();
        }
        return rig.cut.transmit(command);
      },
    };
    const outcome = await processTap(ctx({ card: channelOf(watching, clock) }), FARE);
    expect(outcome.kind).toBe('approved');
    expect(seen).toEqual([{ id: 1, amount: 250, ttsn: 1, trail: CLEAN_TRAIL.slice(0, 6) }]);
  });

  it('asks to tap again when the DEBIT answer is lost, and the re-tap is the recovered passage', async () => {
    rig.cut.cutAt(DEBIT_INDEX, 'answerLost');
    const torn = await processTap(ctx(), FARE);
    expect(torn).toMatchObject({ kind: 'tapAgain', cardNumber: CARD_NUMBER, answerLost: true });
    expect(rig.store.pendingIntents().map((i) => [i.id, i.pending.offlineCounter, i.pending.amount])).toEqual([[1, 0, 250]]);
    expect(rig.store.count()).toBe(0);

    await retap();
    const again = await processTap(ctx(), FARE);
    expect(again).toMatchObject({ kind: 'recovered', cardNumber: CARD_NUMBER, balanceAfter: 9750 });
    if (again.kind !== 'recovered') throw new Error('expected recovered');
    expect(again.record).toMatchObject({ offlineCounter: 0, ttsn: 1, amount: 250, mac2: FIRST_MAC2, tac: FIRST_TAC, mac2Verified: false, recovered: true });
    expect(rig.store.intent(1)).toMatchObject({ status: 'recovered', recordId: 1 });
    expect(rig.store.purchases(CARD_NUMBER)).toEqual([again.record]);

    const next = await processTap(ctx(), FARE);
    expect(next).toMatchObject({ kind: 'approved', amount: 250, balanceAfter: 9500, record: { offlineCounter: 1, ttsn: 2 } });
    expect((await cardTruth(rig.card)).balance).toBe(9500);
  });

  it('charges once when DEBIT never reached the card', async () => {
    rig.cut.cutAt(DEBIT_INDEX, 'before');
    expect(await processTap(ctx(), FARE)).toMatchObject({ kind: 'tapAgain', answerLost: true });

    await retap();
    const again = await processTap(ctx(), FARE);
    expect(again).toMatchObject({ kind: 'approved', amount: 250, balanceAfter: 9750, record: { offlineCounter: 0, ttsn: 2 } });
    expect(rig.store.intent(1)).toMatchObject({ status: 'notCommitted', detail: 'the purchase counter has not moved' });
    expect(rig.store.intent(2)).toMatchObject({ status: 'completed' });
    expect(rig.store.count()).toBe(1);
  });

  it('asks to tap again, with nothing pending, when the card leaves before the debit', async () => {
    rig.cut.cutAt(1, 'before');
    expect(await processTap(ctx(), FARE)).toMatchObject({ kind: 'tapAgain', cardNumber: undefined, answerLost: false });
    await retap();
    rig.cut.cutAt(4, 'answerLost');
    expect(await processTap(ctx(), FARE)).toMatchObject({ kind: 'tapAgain', cardNumber: CARD_NUMBER, answerLost: false });
    expect(rig.store.pendingIntents()).toEqual([]);
    await retap();
    expect((await cardTruth(rig.card)).balance).toBe(START_BALANCE);
  });

  it('gives up recovery after the window: the intent is unrecoverable and the tap is charged', async () => {
    rig.cut.cutAt(DEBIT_INDEX, 'answerLost');
    await processTap(ctx(), FARE);
    await retap();
    now = new Date(TAP_TIME.getTime() + DEFAULT_RECOVERY_WINDOW_MS + 1000);
    const late = await processTap(ctx(), FARE);
    expect(late).toMatchObject({ kind: 'approved', amount: 250, balanceAfter: 9500, record: { offlineCounter: 1, time: '093501' } });
    expect(rig.store.unrecoverableIntents()).toMatchObject([
      { id: 1, status: 'unrecoverable', detail: WINDOW_PASSED_DETAIL, pending: { offlineCounter: 0, amount: 250 } },
    ]);
  });

  it('settles intents past the window without asking the card', async () => {
    const id = rig.store.writeIntent(
      { kind: 'purchase', cardNumber: CARD_NUMBER, offlineCounter: 0, amount: 250, terminal: TERMINAL, ttsn: 99, date: '20261123', time: '093000', balanceBefore: START_BALANCE, keyVersion: 1, algorithmId: 0, trail: [] },
      TAP_TIME,
    );
    now = new Date(TAP_TIME.getTime() + 60_001);
    const mark = rig.card.trailMark;
    const settled = await settleIntents({ card: rig.card, store: rig.store, clock, recoveryWindowMs: 60_000 }, CARD_NUMBER);
    expect(settled).toEqual({ recovered: [], notCommitted: [], unrecoverable: [id], interrupted: undefined });
    expect(rig.card.trailSince(mark)).toEqual([]);
  });

  it('declines what the risk policy refuses, without a debit', async () => {
    const risk = new RecordingRisk({ allow: false, reason: 'OFFLINE_CAP_REACHED', blockCard: false });
    const outcome = await processTap(ctx({ risk }), FARE);
    expect(outcome).toEqual({ kind: 'declined', cardNumber: CARD_NUMBER, reason: 'OFFLINE_CAP_REACHED', detail: 'risk policy: OFFLINE_CAP_REACHED' });
    expect(risk.calls).toEqual([[CARD_NUMBER, 250, TAP_TIME.toISOString()]]);
    expect(rig.store.intent(1)).toBeUndefined();
    expect((await cardTruth(rig.card)).balance).toBe(START_BALANCE);
  });

  it('blocks the purse when the risk policy asks, then the card is declined as blocked', async () => {
    const risk = new RecordingRisk({ allow: false, reason: 'CARD_HOTLISTED', blockCard: true });
    expect(await processTap(ctx({ risk }), FARE)).toEqual({
      kind: 'declined',
      cardNumber: CARD_NUMBER,
      reason: 'CARD_HOTLISTED',
      blocked: true,
      detail: 'risk policy: CARD_HOTLISTED; purse blocked',
    });
    expect(await processTap(ctx(), FARE)).toMatchObject({ kind: 'declined', reason: 'CARD_BLOCKED' });
    expect(rig.store.count()).toBe(0);
  });

  it('lets an allowing risk policy through with the fare it was asked about', async () => {
    const risk = new RecordingRisk({ allow: true });
    expect(await processTap(ctx({ risk }), { kind: 'flat', amount: 120 })).toMatchObject({ kind: 'approved', amount: 120, balanceAfter: 9880 });
    expect(risk.calls).toEqual([[CARD_NUMBER, 120, TAP_TIME.toISOString()]]);
  });

  it('declines a card without a purse, an expired card and one without funds', async () => {
    const noPurse = new InProcessAdapter(new VirtualCard({ store: new MemoryStore(), applications: [] }), 'blank');
    await noPurse.powerOn();
    expect(await processTap(ctx({ card: channelOf(noPurse, clock) }), FARE)).toMatchObject({
      kind: 'declined',
      cardNumber: undefined,
      reason: 'NOT_A_PURSE',
    });

    now = new Date('2036-11-24T08:00:00.000Z');
    expect(await processTap(ctx(), FARE)).toMatchObject({ kind: 'declined', cardNumber: CARD_NUMBER, reason: 'CARD_EXPIRED' });

    now = TAP_TIME;
    expect(await processTap(ctx(), { kind: 'flat', amount: START_BALANCE + 1 })).toMatchObject({ kind: 'declined', reason: 'INSUFFICIENT_FUNDS' });
    expect(rig.store.intent(1)).toBeUndefined();
  });

  it('stores a suspect record when the PSAM cannot check MAC2', async () => {
    rig.store.close();
    rmSync(rig.dir, { recursive: true, force: true });
    rig = await makeRig({
      wrapPsam: (inner) => ({
        name: 'psam',
        powerOn: () => inner.powerOn(),
        isPresent: () => inner.isPresent(),
        close: () => inner.close(),
        transmit: async (command) => {
          if (command[1] === INS_VERIFY_MAC2) throw new TransportError('PSAM slot failed');
          return inner.transmit(command);
        },
      }),
    });
    const outcome = await processTap(ctx(), FARE);
    expect(outcome).toMatchObject({ kind: 'suspect', reason: 'MAC2_UNVERIFIED', amount: 250, balanceAfter: 9750, record: { mac2Verified: false } });
    expect(rig.store.intent(1)).toMatchObject({ status: 'completed' });
    expect(rig.store.count()).toBe(1);
  });

  it('refuses a malformed fare or window before sending anything', async () => {
    const mark = rig.card.trailMark;
    await expect(processTap(ctx(), { kind: 'flat', amount: 0 })).rejects.toMatchObject({ name: 'FareRuleError', field: 'amount' });
    const zoned = { kind: 'zoned', zone: 0, zoneOfTerminal: () => 0, entryWindowMinutes: 90 } as const;
    await expect(processTap(ctx(), { ...zoned, table: [] })).rejects.toMatchObject({ field: 'table' });
    await expect(processTap(ctx(), { ...zoned, table: [[200, 300]] })).rejects.toMatchObject({ field: 'table' });
    await expect(processTap(ctx(), { ...zoned, table: [[-1]] })).rejects.toMatchObject({ field: 'table' });
    await expect(processTap(ctx(), { ...zoned, table: [[200]], zone: 1 })).rejects.toMatchObject({ field: 'zone' });
    await expect(processTap(ctx(), { ...zoned, table: [[200]], entryWindowMinutes: 0 })).rejects.toBeInstanceOf(FareRuleError);
    await expect(processTap(ctx({ recoveryWindowMs: -1 }), FARE)).rejects.toBeInstanceOf(RangeError);
    expect(rig.card.trailSince(mark)).toEqual([]);
  });
});

describe('the beforeDebit hook of purchaseOffline', () => {
  it('receives the pending purchase with its trail up to MAC1, before DEBIT', async () => {
    const calls: unknown[] = [];
    const outcome = await purchaseOffline(
      {
        card: rig.card,
        psam: rig.psam,
        psamTerminal: rig.psamTerminal,
        clock,
        timeZone: TIME_ZONE,
        beforeDebit: (pending) => {
          calls.push({ counter: pending.offlineCounter, ttsn: pending.ttsn, amount: pending.amount, trail: trailNames(pending.trail) });
        },
      },
      { amount: 250 },
    );
    expect(outcome.kind).toBe('approved');
    expect(calls).toEqual([{ counter: 0, ttsn: 1, amount: 250, trail: CLEAN_TRAIL.slice(2, 6) }]);
  });

  it('sends no DEBIT and throws when the hook throws', async () => {
    const full = new Error('disk full');
    const mark = rig.card.trailMark;
    await expect(
      purchaseOffline(
        { card: rig.card, psam: rig.psam, psamTerminal: rig.psamTerminal, clock, timeZone: TIME_ZONE, beforeDebit: async () => Promise.reject(full) },
        { amount: 250 },
      ),
    ).rejects.toBe(full);
    expect(rig.card.trailSince(mark).map((e) => e.name)).toEqual(['SELECT', 'READ BINARY EF 15', 'INITIALIZE FOR PURCHASE']);
    expect((await cardTruth(rig.card)).balance).toBe(START_BALANCE);
  });

  it('makes the tap throw, with nothing debited, when the intent cannot be written', async () => {
    const store = {
      writeIntent: () => {
        throw new Error('SQLITE_FULL');
      },
      completeIntent: rig.store.completeIntent.bind(rig.store),
      resolveIntent: rig.store.resolveIntent.bind(rig.store),
      expireIntents: rig.store.expireIntents.bind(rig.store),
      pendingIntents: rig.store.pendingIntents.bind(rig.store),
    };
    await expect(processTap(ctx({ store }), FARE)).rejects.toThrow('SQLITE_FULL');
    expect((await cardTruth(rig.card)).balance).toBe(START_BALANCE);
  });
});
