import { describe, expect, it } from 'vitest';
import { MemoryStore, VirtualCard } from '@citycard/card-os';
import { fromHex, toHex } from '@citycard/protocols';
import { personalizeTestApplication, testApplication, testEfKey } from './support/testApplication.js';

const SELECT_TEST_CMD = '00A4040C08F054455354415050';
const VERIFY_PIN_1234_CMD = '002000010831323334FFFFFFFF';
const READ_SFI01_LE16_CMD = '00B0810010';
const READ_SFI01_LE256_CMD = '00B0810000';
const UPDATE_SFI01_01020304_CMD = '00D681000401020304';
const READ_SFI02_CMD = '00B0820000';
const UPDATE_SFI02_CMD = '00D6820002CAFE';
const SW_9000 = '9000';
const SW_6282 = '6282';

function newCard(): { card: VirtualCard; store: MemoryStore } {
  const store = new MemoryStore();
  personalizeTestApplication(store);
  const card = new VirtualCard({ store, applications: [testApplication] });
  card.powerOn();
  expect(send(card, SELECT_TEST_CMD)).toBe(SW_9000);
  return { card, store };
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

describe('READ BINARY', () => {
  it('answers 6282 with the bytes there are when fewer than Le remain (none in an empty EF)', () => {
    const { card } = newCard();
    expect(send(card, READ_SFI01_LE16_CMD)).toBe(SW_6282);
    expect(send(card, UPDATE_SFI01_01020304_CMD)).toBe(SW_9000);
    expect(send(card, '00B0810004')).toBe('01020304' + SW_9000);
    expect(send(card, '00B0810002')).toBe('0102' + SW_9000);
    expect(send(card, READ_SFI01_LE16_CMD)).toBe('01020304' + SW_6282);
    expect(send(card, READ_SFI01_LE256_CMD)).toBe('01020304' + SW_6282);
    expect(send(card, '00B0810203')).toBe('0304' + SW_6282); // SFI 01, offset 2
  });

  it('reads the current EF by offset once a command by SFI made it current', () => {
    const { card } = newCard();
    expect(send(card, '00B0000001')).toBe('6986');
    send(card, UPDATE_SFI01_01020304_CMD);
    expect(send(card, '00B0000102')).toBe('0203' + SW_9000);
  });

  it('answers 6282 with no data at offset = size, and 6A86 beyond', () => {
    const { card } = newCard();
    send(card, '00D6810010' + '11'.repeat(16));
    expect(send(card, '00B0810010')).toBe('11'.repeat(16) + SW_9000);
    expect(send(card, '00B0001000')).toBe(SW_6282); // offset 16 = size: the end, found
    expect(send(card, '00B0001101')).toBe('6A86'); // offset 17
    expect(send(card, '00B07FFF01')).toBe('6A86');
  });

  it('answers 6986 without a current EF and 6981 for a record EF', () => {
    const { card } = newCard();
    expect(send(card, '00B0000001')).toBe('6986');
    expect(send(card, '00B0830001')).toBe('6981'); // SFI 03 is linear-fixed
  });

  it('answers 6A86 for P1 1xx..... other than 100sssss, SFI 0 or 31; 6A82 for an absent SFI', () => {
    const { card } = newCard();
    expect(send(card, '00B0A10001')).toBe('6A86');
    expect(send(card, '00B0C10001')).toBe('6A86');
    expect(send(card, '00B0800001')).toBe('6A86');
    expect(send(card, '00B09F0001')).toBe('6A86');
    expect(send(card, '00B0850001')).toBe('6A82');
  });

  it('answers 6700 without Le or with data', () => {
    const { card } = newCard();
    expect(send(card, '00B08100')).toBe('6700');
    expect(send(card, '00B081000100')).toBe('6700');
    expect(send(card, '00B08100010000')).toBe('6700');
  });

  it('needs the PIN for a PIN-protected EF, and refuses an EF that is never readable', () => {
    const { card } = newCard();
    expect(send(card, READ_SFI02_CMD)).toBe('6982');
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe(SW_9000);
    expect(send(card, READ_SFI02_CMD)).toBe(SW_6282);
    expect(send(card, '00A4000C020105')).toBe(SW_9000);
    expect(send(card, '00B0000001')).toBe('6985');
  });
});

describe('UPDATE BINARY', () => {
  it('writes at an offset, extends the file up to its maximum size, and commits', () => {
    const { card, store } = newCard();
    expect(send(card, UPDATE_SFI01_01020304_CMD)).toBe(SW_9000);
    expect(send(card, '00D60002030A0B0C')).toBe(SW_9000); // current EF, offset 2: overwrite and extend
    expect(store.get(testEfKey(0x0101))).toEqual(fromHex('01020A0B0C'));
    expect(send(card, '00D600050B' + '22'.repeat(11))).toBe(SW_9000); // exactly to the 16-byte maximum
    expect(send(card, '00B0810000')).toBe('01020A0B0C' + '22'.repeat(11) + SW_6282);
  });

  it('answers 6A86 for an offset past the end and 6A84 for data past the maximum size', () => {
    const { card } = newCard();
    send(card, UPDATE_SFI01_01020304_CMD);
    expect(send(card, '00D6810501FF')).toBe('6A86');
    expect(send(card, '00D681040D' + '33'.repeat(13))).toBe('6A84');
    expect(send(card, '00B0810000')).toBe('01020304' + SW_6282); // unchanged
  });

  it('answers 6700 without data or with Le', () => {
    const { card } = newCard();
    expect(send(card, '00D68100')).toBe('6700');
    expect(send(card, '00D6810000')).toBe('6700');
    expect(send(card, '00D6810001AA00')).toBe('6700');
  });

  it('is access controlled: 6982 before VERIFY, 6985 for never', () => {
    const { card, store } = newCard();
    expect(send(card, UPDATE_SFI02_CMD)).toBe('6982');
    expect(store.get(testEfKey(0x0102))).toBeUndefined();
    send(card, VERIFY_PIN_1234_CMD);
    expect(send(card, UPDATE_SFI02_CMD)).toBe(SW_9000);
    expect(send(card, READ_SFI02_CMD)).toBe('CAFE' + SW_6282);
    send(card, '00A4000C020105');
    expect(send(card, '00D6000001AA')).toBe('6985');
    expect(send(card, '00D6830001AA')).toBe('6981'); // SFI 03 is a record EF
  });

  it('reads a file longer than 256 bytes in chunks until 6282', () => {
    const { card } = newCard();
    send(card, VERIFY_PIN_1234_CMD);
    const content = Buffer.alloc(300);
    for (let i = 0; i < content.length; i++) content[i] = i & 0xff;
    send(card, '00D68200FF' + toHex(content.subarray(0, 255)));
    send(card, '00D600FF2D' + toHex(content.subarray(255)));
    const first = card.transmit(fromHex('00B0820000'));
    expect(first.subarray(-2)).toEqual(fromHex(SW_9000));
    const second = card.transmit(fromHex('00B0010000'));
    expect(second.subarray(-2)).toEqual(fromHex(SW_6282));
    expect(Buffer.concat([first.subarray(0, -2), second.subarray(0, -2)])).toEqual(content);
  });
});
