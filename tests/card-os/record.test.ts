import { describe, expect, it } from 'vitest';
import { MemoryStore, RecordEf, StoreTransaction, VirtualCard } from '@citycard/card-os';
import { fromHex, toHex } from '@citycard/protocols';
import { personalizeTestApplication, testApplication, testEfKey } from './support/testApplication.js';

const SELECT_TEST_CMD = '00A4040C08F054455354415050';
const VERIFY_PIN_1234_CMD = '002000010831323334FFFFFFFF';
// SFI 03: linear-fixed, 3 records of 4 bytes. P2 = 03 << 3 | 04 = 1C.
const RECORDS_SFI03 = fromHex('A1A1A1A1 B2B2B2B2 C3C3C3C3');
const READ_REC1_SFI03_CMD = '00B2011C00';
const READ_REC2_SFI03_CMD = '00B2021C04';
const READ_REC3_SFI03_CMD = '00B2031C00';
const UPDATE_REC2_SFI03_CMD = '00DC021C04D4D4D4D4';
// SFI 04: cyclic, 3 records of 2 bytes. P2 = 04 << 3 | 04 = 24. The test app's 80 CA xx 01 appends xx xx.
const APPEND_LOG_CMD = (b: string): string => `80CA${b}0100`;
const READ_LOG_CMD = (n: number): string => `00B20${n}2400`;

function newCard(withRecords = true): { card: VirtualCard; store: MemoryStore } {
  const store = new MemoryStore();
  personalizeTestApplication(store);
  if (withRecords) store.commit(new Map([[testEfKey(0x0103), RECORDS_SFI03]]));
  const card = new VirtualCard({ store, applications: [testApplication] });
  card.powerOn();
  expect(send(card, SELECT_TEST_CMD)).toBe('9000');
  return { card, store };
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

describe('READ RECORD', () => {
  it('reads each record by number and SFI; 6A83 past the last', () => {
    const { card } = newCard();
    expect(send(card, READ_REC1_SFI03_CMD)).toBe('A1A1A1A19000');
    expect(send(card, READ_REC2_SFI03_CMD)).toBe('B2B2B2B29000');
    expect(send(card, READ_REC3_SFI03_CMD)).toBe('C3C3C3C39000');
    expect(send(card, '00B2041C00')).toBe('6A83');
    expect(send(card, '00B2020400')).toBe('B2B2B2B29000'); // P2 04: the current EF
  });

  it('answers 6A83 in an empty record EF', () => {
    const { card } = newCard(false);
    expect(send(card, READ_REC1_SFI03_CMD)).toBe('6A83');
  });

  it('answers 6A86 for record 00 or FF and for P2 other than SFI|100; 6A82 for an absent SFI', () => {
    const { card } = newCard();
    expect(send(card, '00B2001C00')).toBe('6A86');
    expect(send(card, '00B2FF1C00')).toBe('6A86');
    expect(send(card, '00B2011800')).toBe('6A86'); // first record
    expect(send(card, '00B2011D00')).toBe('6A86'); // records from P1 to the last
    expect(send(card, '00B201FC00')).toBe('6A86'); // SFI 31
    expect(send(card, '00B2012C00')).toBe('6A82'); // SFI 05
  });

  it('answers 6986 without a current EF and 6981 for a transparent EF', () => {
    const { card } = newCard();
    expect(send(card, '00B2010400')).toBe('6986');
    expect(send(card, '00B2010C00')).toBe('6981'); // SFI 01 is transparent
  });

  it('answers 6700 without Le, with data, or with Le shorter than the record', () => {
    const { card } = newCard();
    expect(send(card, '00B2011C')).toBe('6700');
    expect(send(card, '00B2011C0100')).toBe('6700');
    expect(send(card, '00B2011C03')).toBe('6700');
    expect(send(card, '00B2011C05')).toBe('A1A1A1A19000');
  });

  it('reads a cyclic EF newest first, dropping the oldest when full', () => {
    const { card } = newCard();
    expect(send(card, READ_LOG_CMD(1))).toBe('6A83');
    expect(send(card, APPEND_LOG_CMD('01'))).toBe('019000');
    expect(send(card, APPEND_LOG_CMD('02'))).toBe('029000');
    expect(send(card, READ_LOG_CMD(1))).toBe('02029000');
    expect(send(card, READ_LOG_CMD(2))).toBe('01019000');
    send(card, APPEND_LOG_CMD('03'));
    send(card, APPEND_LOG_CMD('04'));
    expect([1, 2, 3, 4].map((n) => send(card, READ_LOG_CMD(n)))).toEqual(['04049000', '03039000', '02029000', '6A83']);
  });
});

describe('UPDATE RECORD', () => {
  it('needs the PIN, then replaces the record', () => {
    const { card, store } = newCard();
    expect(send(card, UPDATE_REC2_SFI03_CMD)).toBe('6982');
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('9000');
    expect(send(card, UPDATE_REC2_SFI03_CMD)).toBe('9000');
    expect(send(card, READ_REC2_SFI03_CMD)).toBe('D4D4D4D49000');
    expect(store.get(testEfKey(0x0103))).toEqual(fromHex('A1A1A1A1 D4D4D4D4 C3C3C3C3'));
  });

  it('answers 6700 for data that is not one record, no data, or an Le', () => {
    const { card } = newCard();
    send(card, VERIFY_PIN_1234_CMD);
    expect(send(card, '00DC021C03D4D4D4')).toBe('6700');
    expect(send(card, '00DC021C05D4D4D4D4D4')).toBe('6700');
    expect(send(card, '00DC021C')).toBe('6700');
    expect(send(card, '00DC021C04D4D4D4D400')).toBe('6700');
  });

  it('answers 6A83 for an absent record, 6981 for a cyclic or transparent EF, 6A86 for bad P1/P2', () => {
    const { card } = newCard();
    send(card, VERIFY_PIN_1234_CMD);
    expect(send(card, '00DC041C04D4D4D4D4')).toBe('6A83');
    expect(send(card, '00DC01240201FF')).toBe('6981');
    expect(send(card, '00DC010C0101')).toBe('6981');
    expect(send(card, '00DC001C04D4D4D4D4')).toBe('6A86');
    expect(send(card, '00DC011B04D4D4D4D4')).toBe('6A86');
  });
});

describe('RecordEf', () => {
  const spec = { type: 'linear-fixed', fid: 1, recordLength: 2, maxRecords: 2, access: { read: { kind: 'always' }, update: { kind: 'always' } } } as const;

  it('appends to a linear-fixed EF until it is full', () => {
    const store = new MemoryStore();
    const ef = new RecordEf(spec, 'k', store);
    const tx = new StoreTransaction(store);
    ef.append(tx, fromHex('0101'));
    ef.append(tx, fromHex('0202')); // reads its own staged write
    expect(() => ef.append(tx, fromHex('0303'))).toThrow(RangeError);
    expect(ef.count()).toBe(0); // nothing committed yet
    tx.commit();
    expect(ef.count()).toBe(2);
    expect(ef.read(2)).toEqual(fromHex('0202'));
    expect(ef.read(3)).toBeUndefined();
    expect(() => ef.read(0)).toThrow(RangeError);
    expect(() => ef.update(new StoreTransaction(store), 3, fromHex('0909'))).toThrow(RangeError);
    expect(() => ef.update(new StoreTransaction(store), 1, fromHex('09'))).toThrow(RangeError);
  });
});
