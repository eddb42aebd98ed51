/**
 * The card leaves at every APDU boundary of a tap, and then is tapped again: before APDU k goes
 * out, or after the card ran APDU k but before its answer arrived, for every card APDU k of the
 * tap. For the two cuts around DEBIT, the re-tap itself is also cut at every APDU, and the card
 * is tapped a third time. Each time the terminal ends with exactly one stored purchase for the
 * torn tap, and the card agrees: its balance, its offline counter and its newest log record.
 * Two fares: a flat one, and a zoned exit (which also reads the card's log).
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, type VirtualCard } from '@citycard/card-os';
import { type ApduChannel, InProcessAdapter, openPsamSlot } from '@citycard/terminal-agent';
import { RecordStore } from '../../terminal-agent/src/store/index.js';
import { type FareRule, type TapOutcome, processTap } from '../../terminal-agent/src/tap/index.js';
import { type CutMode, CutSlot, TAP_TIME, TIME_ZONE, cardTruth, channelOf, epCard, psamCard } from './tapRig.fixture.js';

const CARD_NUMBER = '1000000000000003';
const START_BALANCE = 10000;
const ENTRY_TERMINAL = '000000000010';
const EXIT_TERMINAL = '000000000012';
const ZONE_OF: Readonly<Record<string, number>> = { [ENTRY_TERMINAL]: 0, [EXIT_TERMINAL]: 2 };
const TABLE = [
  [200, 300, 450],
  [300, 200, 300],
  [450, 300, 200],
];
const zoned = (zone: number): FareRule => ({ kind: 'zoned', zone, zoneOfTerminal: (t) => ZONE_OF[t], table: TABLE, entryWindowMinutes: 90 });
const ENTRY_TIME = new Date('2026-11-23T09:30:00.000Z');
const EXIT_TIME = new Date('2026-11-23T10:00:00.000Z');

interface Scenario {
  readonly name: string;
  /** Terminal of the torn tap. */
  readonly terminal: string;
  readonly fare: FareRule;
  /** Fen the torn tap charges. */
  readonly amount: number;
  /** Taps before the torn one: terminal, fare, time. */
  readonly before: readonly { readonly terminal: string; readonly fare: FareRule; readonly at: Date }[];
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'flat fare', terminal: EXIT_TERMINAL, fare: { kind: 'flat', amount: 250 }, amount: 250, before: [] },
  { name: 'zoned exit', terminal: EXIT_TERMINAL, fare: zoned(2), amount: 250, before: [{ terminal: ENTRY_TERMINAL, fare: zoned(0), at: ENTRY_TIME }] },
];

class Rig {
  // In-process cuts: no process dies, so the store need not outlive it (tapPowerCut kills processes).
  readonly store = new RecordStore(':memory:');
  readonly ep: VirtualCard = epCard(new MemoryStore(), CARD_NUMBER, START_BALANCE, 3);
  readonly slot = new InProcessAdapter(this.ep, 'card');
  readonly cut = new CutSlot(this.slot);
  now = TAP_TIME;
  readonly clock = (): Date => this.now;
  readonly card: ApduChannel = channelOf(this.cut, this.clock);
  readonly psams = new Map<string, { psam: ApduChannel; psamTerminal: Buffer }>();

  static async make(): Promise<Rig> {
    const rig = new Rig();
    await rig.slot.powerOn();
    for (const terminal of [ENTRY_TERMINAL, EXIT_TERMINAL]) {
      const psamSlot = new InProcessAdapter(psamCard(new MemoryStore(), terminal), `psam ${terminal}`);
      await psamSlot.powerOn();
      const psam = channelOf(psamSlot, rig.clock);
      rig.psams.set(terminal, { psam, psamTerminal: await openPsamSlot(psam) });
    }
    return rig;
  }

  tap(terminal: string, fare: FareRule, at: Date): Promise<TapOutcome> {
    this.now = at;
    return processTap({ card: this.card, ...this.psams.get(terminal)!, store: this.store, clock: this.clock, timeZone: TIME_ZONE }, fare);
  }

  /** The passenger presents the card again. */
  async present(): Promise<void> {
    this.cut.disarm();
    if (!(await this.slot.isPresent())) this.slot.insert(this.ep);
    await this.slot.powerOn();
  }

  dispose(): void {
    this.store.close();
  }
}

async function rigAfter(scenario: Scenario): Promise<Rig> {
  const rig = await Rig.make();
  for (const tap of scenario.before) expect((await rig.tap(tap.terminal, tap.fare, tap.at)).kind).toBe('approved');
  await rig.present();
  return rig;
}

/** Card APDUs of a tap that nothing interrupts (after `prepare`). */
async function cardApdusOfCleanTap(scenario: Scenario, prepare: (rig: Rig) => Promise<void> = async () => {}): Promise<number> {
  const rig = await rigAfter(scenario);
  try {
    await prepare(rig);
    rig.cut.resetCount();
    const outcome = await rig.tap(scenario.terminal, scenario.fare, EXIT_TIME);
    expect(['approved', 'recovered']).toContain(outcome.kind);
    return rig.cut.sent;
  } finally {
    rig.dispose();
  }
}

/** Exactly one record for the torn tap, and the card's balance, counter and log agree with the store. */
async function expectExactlyOneRecord(rig: Rig, scenario: Scenario, label: string): Promise<void> {
  expect(rig.store.pendingIntents(), label).toEqual([]);
  const records = rig.store.purchases(CARD_NUMBER);
  expect(records.length, label).toBe(scenario.before.length + 1);
  const torn = records.at(-1)!;
  expect([torn.terminal, torn.amount, torn.date, torn.time], label).toEqual([scenario.terminal, scenario.amount, '20261123', '100000']);
  await rig.present();
  const truth = await cardTruth(rig.card);
  const spent = records.reduce((sum, r) => sum + r.amount, 0);
  expect(truth.balance, label).toBe(START_BALANCE - spent);
  expect(truth.offlineCounter, label).toBe(records.length);
  expect(records.map((r) => r.offlineCounter), label).toEqual(records.map((_, i) => i));
  const newest = truth.purchases[0]!;
  expect([newest.counter, newest.terminal, newest.amount, newest.time], label).toEqual([torn.offlineCounter, torn.terminal, torn.amount, torn.time]);
}

/** Tap with the card leaving at APDU `at` as `mode` says; the outcome must ask for another tap. */
async function tornTap(rig: Rig, scenario: Scenario, at: number, mode: CutMode, label: string): Promise<TapOutcome> {
  rig.cut.cutAt(at, mode);
  const outcome = await rig.tap(scenario.terminal, scenario.fare, EXIT_TIME);
  expect(rig.cut.fired, `${label}: the cut happened`).toBe(true);
  expect(outcome.kind, label).toBe('tapAgain');
  await rig.present();
  return outcome;
}

describe.each(SCENARIOS)('card removed during a tap ($name)', (scenario) => {
  it.each(['before', 'answerLost'] as const)('at every APDU (%s), then re-tapped: exactly one record', async (mode) => {
    const apdus = await cardApdusOfCleanTap(scenario);
    const kinds: string[] = [];
    for (let at = 0; at < apdus; at++) {
      const label = `${scenario.name}, card leaves ${mode} APDU ${at} of ${apdus}`;
      const rig = await rigAfter(scenario);
      try {
        const torn = await tornTap(rig, scenario, at, mode, label);
        const again = await rig.tap(scenario.terminal, scenario.fare, EXIT_TIME);
        kinds.push(`${torn.kind === 'tapAgain' && torn.answerLost ? 'lost' : 'none'}→${again.kind}`);
        await expectExactlyOneRecord(rig, scenario, label);
      } finally {
        rig.dispose();
      }
    }
    // Only the DEBIT (the last card APDU) leaves an intent; only its lost answer is recovered.
    const last = mode === 'answerLost' ? 'lost→recovered' : 'lost→approved';
    expect(kinds).toEqual([...Array<string>(apdus - 1).fill('none→approved'), last]);
  });

  it.each(['before', 'answerLost'] as const)('around DEBIT (%s), with the re-tap also cut at every APDU', async (debitMode) => {
    const tearDebit = async (rig: Rig): Promise<void> => {
      const apdus = await cardApdusOfCleanTap(scenario);
      await tornTap(rig, scenario, apdus - 1, debitMode, `${scenario.name}: DEBIT ${debitMode}`);
    };
    const retapApdus = await cardApdusOfCleanTap(scenario, tearDebit);
    const kinds = new Set<string>();
    for (const mode of ['before', 'answerLost'] as const) {
      for (let at = 0; at < retapApdus; at++) {
        const label = `${scenario.name}, DEBIT ${debitMode}, re-tap cut ${mode} APDU ${at} of ${retapApdus}`;
        const rig = await rigAfter(scenario);
        try {
          await tearDebit(rig);
          const second = await tornTap(rig, scenario, at, mode, label);
          kinds.add(`${second.kind === 'tapAgain' && second.answerLost ? 'lost' : 'none'}→${(await rig.tap(scenario.terminal, scenario.fare, EXIT_TIME)).kind}`);
          await expectExactlyOneRecord(rig, scenario, label);
        } finally {
          rig.dispose();
        }
      }
    }
    // Whatever the re-tap left (nothing, or its own torn DEBIT), the third tap settles it.
    expect([...kinds].sort()).toEqual(debitMode === 'answerLost' ? ['none→recovered'] : ['lost→approved', 'lost→recovered', 'none→approved']);
  });
});
