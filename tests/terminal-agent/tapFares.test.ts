/**
 * Fares: the zoned rule's journey logic over a card's log (pure, with logs as arrays), the log
 * reader over canned APDUs, and zoned taps end to end with one card and a PSAM per zone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '@citycard/card-os';
import { type EpLogRecord, fromHex, toHex } from '@citycard/protocols';
import { ApduChannel, type CardTransport, InProcessAdapter, openPsamSlot } from '@citycard/terminal-agent';
import { TransactionTrail } from '../../terminal-agent/src/purse/purseTrail.js';
import { RecordStore } from '../../terminal-agent/src/store/index.js';
import {
  type FareDecision,
  type PurchaseLogReader,
  type ZonedFare,
  cardPurchaseLog,
  decideFare,
  processTap,
} from '../../terminal-agent/src/tap/index.js';
import { TAP_TIME, TIME_ZONE, cardTruth, channelOf, epCard, psamCard } from './tapRig.fixture.js';

const ZONE_0 = '0000000000A0';
const ZONE_1 = '0000000000A1';
const ZONE_2 = '0000000000A2';
const SHOP = '0000000000B0';
const ZONES: Readonly<Record<string, number>> = { [ZONE_0]: 0, [ZONE_1]: 1, [ZONE_2]: 2, '0000000000FF': 7 };
const TABLE = [
  [200, 300, 400],
  [300, 200, 300],
  [400, 300, 200],
];

function zoned(zone: number, table: number[][] = TABLE): ZonedFare {
  return { kind: 'zoned', zone, zoneOfTerminal: (terminal) => ZONES[terminal], table, entryWindowMinutes: 90 };
}

/** A purchase in the log: counter is irrelevant to fares. */
function logged(terminal: string, time: string, amount: number, date = '20261123'): EpLogRecord {
  return { counter: 0, overdraftLimit: 0, amount, type: 0x06, terminal, date, time };
}

/** A log reader over `records` (newest first) that remembers which indexes were asked. */
function logOf(records: EpLogRecord[]): PurchaseLogReader & { asked: number[] } {
  const asked: number[] = [];
  const reader = async (index: number): Promise<EpLogRecord | undefined> => {
    asked.push(index);
    return records[index];
  };
  return Object.assign(reader, { asked });
}

const entryAt = (zone: number, amount = TABLE[zone]![zone]!): FareDecision => ({ amount, journey: { kind: 'entry', zone } });

describe('zoned fares', () => {
  it('charges the base fare at an entry: empty log, same zone, a shop purchase, past the window', async () => {
    expect(await decideFare(zoned(0), logOf([]), '20261123', '093000')).toEqual(entryAt(0));
    expect(await decideFare(zoned(0), logOf([logged(ZONE_0, '091000', 200)]), '20261123', '093000')).toEqual(entryAt(0));
    expect(await decideFare(zoned(2), logOf([logged(SHOP, '092000', 500), logged(ZONE_0, '091000', 200)]), '20261123', '093000')).toEqual(entryAt(2));
    expect(await decideFare(zoned(2), logOf([logged(ZONE_0, '080000', 200)]), '20261123', '093001')).toEqual(entryAt(2));
    // A purchase logged after "now" (another terminal's clock ahead) does not open a journey.
    expect(await decideFare(zoned(2), logOf([logged(ZONE_0, '093005', 200)]), '20261123', '093000')).toEqual(entryAt(2));
  });

  it('charges the rest of the journey at an exit in another zone within the window', async () => {
    const exit: FareDecision = { amount: 200, journey: { kind: 'exit', entryZone: 0, zone: 2, fare: 400, paidAtEntry: 200 } };
    expect(await decideFare(zoned(2), logOf([logged(ZONE_0, '091000', 200)]), '20261123', '100000')).toEqual(exit);
    // Exactly 90 minutes, and across midnight.
    expect(await decideFare(zoned(2), logOf([logged(ZONE_0, '080000', 200)]), '20261123', '093000')).toEqual(exit);
    expect(await decideFare(zoned(2), logOf([logged(ZONE_0, '233000', 200, '20261122')]), '20261123', '003000')).toEqual(exit);
    // A shop purchase before the entry does not matter.
    expect(await decideFare(zoned(2), logOf([logged(ZONE_0, '091000', 200), logged(SHOP, '090000', 500)]), '20261123', '100000')).toEqual(exit);
  });

  it('never charges below zero and charges nothing when the entry paid the whole fare', async () => {
    const cheap = [
      [200, 200, 150],
      [200, 200, 300],
      [150, 300, 200],
    ];
    expect(await decideFare(zoned(1, cheap), logOf([logged(ZONE_0, '091000', 200)]), '20261123', '093000')).toEqual({
      amount: 0,
      journey: { kind: 'exit', entryZone: 0, zone: 1, fare: 200, paidAtEntry: 200 },
    });
    expect(await decideFare(zoned(2, cheap), logOf([logged(ZONE_0, '091000', 200)]), '20261123', '093000')).toMatchObject({ amount: 0 });
  });

  it('tells entries from exits by the chain of journeys behind the newest purchase', async () => {
    // 09:10 entry at zone 0, 09:40 exit at zone 2: a tap at zone 1 starts a new journey.
    const oneJourney = [logged(ZONE_2, '094000', 200), logged(ZONE_0, '091000', 200)];
    expect(await decideFare(zoned(1), logOf(oneJourney), '20261123', '095000')).toEqual(entryAt(1));
    // ... then an entry at zone 1 at 09:50: a tap at zone 0 exits it (300 - 200).
    const secondEntry = [logged(ZONE_1, '095000', 200), ...oneJourney];
    expect(await decideFare(zoned(0), logOf(secondEntry), '20261123', '100000')).toEqual({
      amount: 100,
      journey: { kind: 'exit', entryZone: 1, zone: 0, fare: 300, paidAtEntry: 200 },
    });
  });

  it('reads no further than the log holds, and takes a chain running to its end to start with an entry', async () => {
    // Ten purchases alternating zones 0 and 1, five minutes apart: read as entry, exit, ... exit.
    const alternating = Array.from({ length: 12 }, (_, i) => logged(i % 2 === 0 ? ZONE_1 : ZONE_0, `09${String(55 - 5 * i).padStart(2, '0')}00`, 200));
    const log = logOf(alternating);
    expect(await decideFare(zoned(2), log, '20261123', '100000')).toEqual(entryAt(2));
    expect(Math.max(...log.asked)).toBe(9);
    // Nine of them: entry, exit, ..., entry: the tap is the exit of the newest.
    expect(await decideFare(zoned(2), logOf(alternating.slice(0, 9)), '20261123', '100000')).toMatchObject({
      amount: 100,
      journey: { kind: 'exit', entryZone: 1 },
    });
  });

  it('treats a zone that is not in the table as no zone', async () => {
    expect(await decideFare(zoned(2), logOf([logged('0000000000FF', '091000', 200)]), '20261123', '093000')).toEqual(entryAt(2));
  });

  it('reads only the newest record when it decides', async () => {
    const log = logOf([logged(ZONE_2, '091000', 200), logged(ZONE_0, '090000', 200)]);
    await decideFare(zoned(2), log, '20261123', '093000');
    expect(log.asked).toEqual([0]);
  });
});

// READ RECORD of EF 0x18: record 1 a purchase, record 2 a load, record 3 a purchase, record 4 unwritten.
const READ_LOG_1_CMD = fromHex('00B201C417');
const READ_LOG_2_CMD = fromHex('00B202C417');
const READ_LOG_3_CMD = fromHex('00B203C417');
const READ_LOG_4_CMD = fromHex('00B204C417');
const LOG_PURCHASE_1 = fromHex('0003 000000 000000C8 06 0000000000A0 20261123 091000');
const LOG_LOAD = fromHex('0001 000000 00001388 02 000000000001 20261123 090000');
const LOG_PURCHASE_2 = fromHex('0002 000000 0000012C 06 0000000000A2 20261122 180000');
const SW_9000 = fromHex('9000');
const SW_6A83 = fromHex('6A83');
const SW_6A82 = fromHex('6A82');

class CannedCard implements CardTransport {
  readonly name = 'canned';
  readonly received: string[] = [];
  constructor(private readonly answers: Map<string, Buffer>) {}
  async powerOn(): Promise<Buffer> {
    return fromHex('3B00');
  }
  async isPresent(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
  async transmit(command: Uint8Array): Promise<Buffer> {
    this.received.push(toHex(command));
    return this.answers.get(toHex(command)) ?? fromHex('6D00');
  }
}

describe('the card purchase log', () => {
  it('skips loads, stops at the first unwritten record and reads each record once', async () => {
    const card = new CannedCard(
      new Map([
        [toHex(READ_LOG_1_CMD), Buffer.concat([LOG_PURCHASE_1, SW_9000])],
        [toHex(READ_LOG_2_CMD), Buffer.concat([LOG_LOAD, SW_9000])],
        [toHex(READ_LOG_3_CMD), Buffer.concat([LOG_PURCHASE_2, SW_9000])],
        [toHex(READ_LOG_4_CMD), SW_6A83],
      ]),
    );
    const read = cardPurchaseLog(new TransactionTrail({ card: new ApduChannel(card) }));
    expect(await read(0)).toEqual({ counter: 3, overdraftLimit: 0, amount: 200, type: 6, terminal: ZONE_0, date: '20261123', time: '091000' });
    expect(await read(1)).toEqual({ counter: 2, overdraftLimit: 0, amount: 300, type: 6, terminal: ZONE_2, date: '20261122', time: '180000' });
    expect(await read(2)).toBeUndefined();
    expect(await read(0)).toMatchObject({ counter: 3 });
    expect(card.received).toEqual([READ_LOG_1_CMD, READ_LOG_2_CMD, READ_LOG_3_CMD, READ_LOG_4_CMD].map(toHex));
  });

  it('reads a log the card refuses as empty', async () => {
    const card = new CannedCard(new Map([[toHex(READ_LOG_1_CMD), SW_6A82]]));
    const read = cardPurchaseLog(new TransactionTrail({ card: new ApduChannel(card) }));
    expect(await read(0)).toBeUndefined();
    expect(card.received).toEqual([toHex(READ_LOG_1_CMD)]);
  });
});

describe('zoned taps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'citycard-tap-zones-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('charges an entry, the rest at the exit, nothing for a paid-up exit, and the card log agrees', async () => {
    let now = TAP_TIME;
    const clock = (): Date => now;
    const slot = new InProcessAdapter(epCard(new MemoryStore(), '1000000000000007', 10000, 7), 'card');
    await slot.powerOn();
    const card = channelOf(slot, clock);
    const psams = new Map<number, { psam: ApduChannel; psamTerminal: Buffer }>();
    for (const [terminal, zone] of [[ZONE_0, 0], [ZONE_1, 1], [ZONE_2, 2]] as const) {
      const psamSlot = new InProcessAdapter(psamCard(new MemoryStore(), terminal.replace(/[A-F]/g, '1')), `psam ${zone}`);
      await psamSlot.powerOn();
      const psam = channelOf(psamSlot, clock);
      psams.set(zone, { psam, psamTerminal: await openPsamSlot(psam) });
    }
    // The PSAMs hold BCD terminal numbers (digits only): map them to the zones.
    const zoneOf = (terminal: string): number | undefined => ({ '000000000010': 0, '000000000011': 1, '000000000012': 2 })[terminal];
    const store = new RecordStore(join(dir, 'records.sqlite'));
    const cheapToOne = [
      [200, 200, 400],
      [200, 200, 300],
      [400, 300, 200],
    ];
    const tapAt = async (zone: number, time: string) => {
      now = new Date(`2026-11-23T${time}.000Z`);
      await slot.powerOn();
      const fare: ZonedFare = { kind: 'zoned', zone, zoneOfTerminal: zoneOf, table: cheapToOne, entryWindowMinutes: 90 };
      return processTap({ card, ...psams.get(zone)!, store, clock, timeZone: TIME_ZONE }, fare);
    };

    expect(await tapAt(0, '09:30:00')).toMatchObject({ kind: 'approved', amount: 200, balanceAfter: 9800, journey: { kind: 'entry', zone: 0 } });
    expect(await tapAt(2, '10:00:00')).toMatchObject({
      kind: 'approved',
      amount: 200,
      balanceAfter: 9600,
      journey: { kind: 'exit', entryZone: 0, zone: 2, fare: 400, paidAtEntry: 200 },
    });
    expect(await tapAt(0, '10:10:00')).toMatchObject({ kind: 'approved', amount: 200, balanceAfter: 9400, journey: { kind: 'entry', zone: 0 } });
    const paidUp = await tapAt(1, '10:20:00');
    expect(paidUp).toEqual({
      kind: 'approved',
      cardNumber: '1000000000000007',
      amount: 0,
      balanceAfter: 9400,
      record: undefined,
      journey: { kind: 'exit', entryZone: 0, zone: 1, fare: 200, paidAtEntry: 200 },
    });

    const truth = await cardTruth(card);
    expect(truth.balance).toBe(9400);
    expect(truth.offlineCounter).toBe(3);
    expect(truth.purchases.map((p) => [p.terminal, p.time, p.amount])).toEqual([
      ['000000000010', '101000', 200],
      ['000000000012', '100000', 200],
      ['000000000010', '093000', 200],
    ]);
    expect(store.purchases('1000000000000007').map((r) => [r.offlineCounter, r.terminal, r.time, r.amount])).toEqual([
      [0, '000000000010', '093000', 200],
      [1, '000000000012', '100000', 200],
      [2, '000000000010', '101000', 200],
    ]);
    // The record's trail shows the log read that priced the exit.
    expect(store.purchases('1000000000000007')[1]!.trail.map((e) => e.name)).toContain('READ RECORD EF 18');
    store.close();
  });
});
