/**
 * The PSAM application in process (card interface spec §5): the spec §8.2 purchase through the
 * PSAM, verify MAC2 and its one-shot rule, key lookup, the maintenance MAC against an independent
 * computation, and the status word of every malformed command.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, VirtualCard, type PersistentStore } from '@citycard/card-os';
import { diversifyKey, fromHex, maintenanceMac, purchaseMac1, purchaseSessionKey, toHex } from '@citycard/protocols';
// Not yet re-exported by @citycard/card-os: imported from their sources.
import { PSAM_TTSN_KEY, psamApplication } from '../../card-os/src/applications/psam/index.js';
import { personalizePsamTestProfile } from '../../card-os/src/personalization/psamTestProfile.js';

const SELECT_PSAM_CMD = '00A4040008F04349545953414D00';
// 6F 15 | 84 08 AID | A5 09 | 50 07 "CITYSAM"
const SELECT_PSAM_RSP = '6F158408F04349545953414DA50950074349545953414D9000';
const READ_TERMINAL_CMD = '00B0960006';
const READ_TERMINAL_RSP = '0000000000019000';

// Spec §8.2: purchase of 250 (000000FA), random A1B2C3D4, offline counter 0005, 20261123 093000,
// key version 01, alg 00, card 1000000000000001; the PSAM's last TTSN is 00000101.
const MAC1_DATA = 'A1B2C3D4' + '0005' + '000000FA' + '06' + '20261123' + '093000' + '01' + '00' + '1000000000000001';
const MAC1_CMD = `807000001C${MAC1_DATA}`;
const MAC1_RSP = '00000102AE47C1339000';
const VERIFY_MAC2_CMD = '80720000040DEF3FA3';
const VERIFY_WRONG_MAC2_CMD = '80720000040DEF3FA4';
const TTSN_0101 = '00000101';

const SW_OK = '9000';
const SW_WRONG_LENGTH = '6700';
const SW_CONDITIONS = '6985';
const SW_INCORRECT_DATA = '6A80';
const SW_P1P2 = '6A86';
const SW_MAC_INVALID = '9302';
const SW_KEY_NOT_FOUND = '9403';

const MAMK = fromHex('445566778899AABBCCDDEEFF00112233');
const MPK = fromHex('11223344556677888877665544332211');
const CARD_NUMBER = '1000000000000001';
const CHALLENGE = '0A0B0C0D';
const BLOCK_HEADER = '841E000004';
const UNBLOCK_HEADER = '8418000004';

/** MAC1 command data with one field replaced (hex offsets in bytes). */
function mac1With(offset: number, hex: string): string {
  const data = fromHex(MAC1_DATA);
  data.set(fromHex(hex), offset);
  return `807000001C${toHex(data)}`;
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

function personalizedStore(options: { ttsn?: string; keyVersions?: number[] } = {}): MemoryStore {
  const store = new MemoryStore();
  personalizePsamTestProfile(store, { terminalNumber: '000000000001', keyVersions: options.keyVersions ?? [1] });
  if (options.ttsn !== undefined) store.commit(new Map([[PSAM_TTSN_KEY, fromHex(options.ttsn)]]));
  return store;
}

function selectedPsam(store: PersistentStore = personalizedStore({ ttsn: TTSN_0101 }), bugs: unknown[] = []): VirtualCard {
  const card = new VirtualCard({ store, applications: [psamApplication], onInternalError: (err) => bugs.push(err) });
  card.powerOn();
  expect(send(card, SELECT_PSAM_CMD)).toBe(SELECT_PSAM_RSP);
  return card;
}

describe('PSAM files', () => {
  it('answers its FCI and the terminal number of EF 16', () => {
    const card = selectedPsam();
    expect(send(card, READ_TERMINAL_CMD)).toBe(READ_TERMINAL_RSP);
    expect(send(card, '00B0960000')).toBe('0000000000016282'); // Le 256 on a 6-byte file
  });

  it('answers 6D00 to its commands while it is not selected', () => {
    const card = new VirtualCard({ store: personalizedStore(), applications: [psamApplication] });
    expect(send(card, MAC1_CMD)).toBe('6D00');
  });
});

describe('MAC1 for purchase and verify MAC2 (spec §8.2)', () => {
  it('gives TTSN 00000102 and MAC1 AE47C133, and accepts MAC2 0DEF3FA3', () => {
    const store = personalizedStore({ ttsn: TTSN_0101 });
    const card = selectedPsam(store);
    expect(send(card, MAC1_CMD)).toBe(MAC1_RSP);
    expect(toHex(store.get(PSAM_TTSN_KEY)!)).toBe('00000102');
    expect(send(card, VERIFY_MAC2_CMD)).toBe(SW_OK);
  });

  it('answers 9302 to a wrong MAC2, then 6985 to any second try', () => {
    const card = selectedPsam();
    expect(send(card, MAC1_CMD)).toBe(MAC1_RSP);
    expect(send(card, VERIFY_WRONG_MAC2_CMD)).toBe(SW_MAC_INVALID);
    expect(send(card, VERIFY_MAC2_CMD)).toBe(SW_CONDITIONS);
  });

  it('accepts a MAC2 only directly after its MAC1', () => {
    const card = selectedPsam();
    expect(send(card, VERIFY_MAC2_CMD)).toBe(SW_CONDITIONS); // no MAC1 yet
    expect(send(card, MAC1_CMD)).toBe(MAC1_RSP);
    expect(send(card, READ_TERMINAL_CMD)).toBe(READ_TERMINAL_RSP);
    expect(send(card, VERIFY_MAC2_CMD)).toBe(SW_CONDITIONS); // another command came between
    expect(send(card, MAC1_CMD)).toBe('00000103' + toHex(mac1For(0x103)) + SW_OK);
    expect(send(card, '8072000003AABBCC')).toBe(SW_WRONG_LENGTH); // a malformed verify also uses it up
    expect(send(card, VERIFY_MAC2_CMD)).toBe(SW_CONDITIONS);
  });

  it('forgets the pending MAC2 on power off and on SELECT', () => {
    const card = selectedPsam();
    expect(send(card, MAC1_CMD)).toBe(MAC1_RSP);
    card.powerOff();
    card.powerOn();
    expect(send(card, SELECT_PSAM_CMD)).toBe(SELECT_PSAM_RSP);
    expect(send(card, VERIFY_MAC2_CMD)).toBe(SW_CONDITIONS);
    expect(send(card, MAC1_CMD)).toBe('00000103' + toHex(mac1For(0x103)) + SW_OK);
    expect(send(card, SELECT_PSAM_CMD)).toBe(SELECT_PSAM_RSP);
    expect(send(card, VERIFY_MAC2_CMD)).toBe(SW_CONDITIONS);
  });

  it('does not accept the MAC2 of an earlier transaction', () => {
    const card = selectedPsam();
    expect(send(card, MAC1_CMD)).toBe(MAC1_RSP);
    expect(send(card, MAC1_CMD)).toBe('00000103' + toHex(mac1For(0x103)) + SW_OK);
    expect(send(card, VERIFY_MAC2_CMD)).toBe(SW_MAC_INVALID); // SESPK changed with the TTSN
  });

  it('numbers MAC1s 1, 2, 3 from a fresh personalization and accepts an Le of 08 or 00', () => {
    const store = personalizedStore();
    const card = selectedPsam(store);
    expect(send(card, MAC1_CMD).slice(0, 8)).toBe('00000001');
    expect(send(card, `${MAC1_CMD}08`)).toBe('00000002' + toHex(mac1For(2)) + SW_OK);
    expect(send(card, `${MAC1_CMD}00`).slice(0, 8)).toBe('00000003');
    expect(toHex(store.get(PSAM_TTSN_KEY)!)).toBe('00000003');
  });

  it('uses the MPK of the requested key version', () => {
    const card = selectedPsam(personalizedStore({ keyVersions: [1, 2] }));
    expect(send(card, mac1With(18, '02'))).toBe('00000001' + toHex(mac1For(1)) + SW_OK); // test profile: same MPK
  });

  it('answers 9403 for a key version or algorithm it has no key for, and issues no TTSN', () => {
    const store = personalizedStore({ ttsn: TTSN_0101 });
    const card = selectedPsam(store);
    expect(send(card, mac1With(18, '02'))).toBe(SW_KEY_NOT_FOUND);
    expect(send(card, mac1With(18, '00'))).toBe(SW_KEY_NOT_FOUND);
    expect(send(card, mac1With(18, 'FF'))).toBe(SW_KEY_NOT_FOUND);
    expect(send(card, mac1With(19, '01'))).toBe(SW_KEY_NOT_FOUND); // alg id 01: no such key either
    expect(toHex(store.get(PSAM_TTSN_KEY)!)).toBe(TTSN_0101);
    expect(send(card, MAC1_CMD)).toBe(MAC1_RSP);
  });

  it('answers 9402 once the TTSN reached FFFFFFFF', () => {
    const card = selectedPsam(personalizedStore({ ttsn: 'FFFFFFFE' }));
    expect(send(card, MAC1_CMD).slice(0, 8)).toBe('FFFFFFFF');
    expect(send(card, MAC1_CMD)).toBe('9402');
  });

  it('answers 6581 without a MAC1 when the stored TTSN is damaged', () => {
    const bugs: unknown[] = [];
    const card = selectedPsam(personalizedStore({ ttsn: '000101' }), bugs);
    expect(send(card, MAC1_CMD)).toBe('6581');
    expect(bugs).toEqual([]);
  });

  it('answers 6985 on a PSAM without a terminal number, 9403 without an MPK or MAMK', () => {
    const card = selectedPsam(new MemoryStore());
    expect(send(card, MAC1_CMD)).toBe(SW_CONDITIONS);
    expect(send(card, READ_TERMINAL_CMD)).toBe('6282'); // the EF exists, empty
    const store = new MemoryStore();
    store.commit(new Map([['df/F04349545953414D/ef/0016', fromHex('000000000001')]]));
    const noKeys = selectedPsam(store);
    expect(send(noKeys, MAC1_CMD)).toBe(SW_KEY_NOT_FOUND);
    expect(send(noKeys, `8074000015${CARD_NUMBER}${CHALLENGE}${BLOCK_HEADER}00000000`)).toBe(SW_KEY_NOT_FOUND);
  });
});

describe('maintenance MAC', () => {
  it.each([
    ['APPLICATION BLOCK', BLOCK_HEADER],
    ['APPLICATION UNBLOCK', UNBLOCK_HEADER],
  ])('matches protocols maintenanceMac under DAMK diversified from MAMK (%s)', (_name, header) => {
    const card = selectedPsam();
    const damk = diversifyKey(MAMK, fromHex(CARD_NUMBER));
    const expected = toHex(maintenanceMac(damk, fromHex(CHALLENGE), fromHex(header)));
    expect(send(card, `8074000015${CARD_NUMBER}${CHALLENGE}${header}00000000`)).toBe(`${expected}${SW_OK}`);
    expect(send(card, `8074000015${CARD_NUMBER}${CHALLENGE}${header}0000000004`)).toBe(`${expected}${SW_OK}`);
  });

  it('changes with the challenge and the card number', () => {
    const card = selectedPsam();
    const a = send(card, `8074000015${CARD_NUMBER}${CHALLENGE}${BLOCK_HEADER}00000000`);
    const b = send(card, `8074000015${CARD_NUMBER}0A0B0C0E${BLOCK_HEADER}00000000`);
    const c = send(card, `80740000151000000000000002${CHALLENGE}${BLOCK_HEADER}00000000`);
    expect(new Set([a, b, c]).size).toBe(3);
  });
});

describe('malformed commands', () => {
  const cases: [string, string, string][] = [
    ['MAC1 with P1 01', `807001001C${MAC1_DATA}`, SW_P1P2],
    ['MAC1 with P2 01', `807000011C${MAC1_DATA}`, SW_P1P2],
    ['MAC1 with 27 data bytes', `807000001B${MAC1_DATA.slice(0, 54)}`, SW_WRONG_LENGTH],
    ['MAC1 with 29 data bytes', `807000001D${MAC1_DATA}00`, SW_WRONG_LENGTH],
    ['MAC1 without data', '8070000000', SW_WRONG_LENGTH],
    ['MAC1 header only', '80700000', SW_WRONG_LENGTH],
    ['MAC1 with Le 04', `${MAC1_CMD}04`, SW_WRONG_LENGTH],
    ['MAC1 whose Lc does not match', `807000001C${MAC1_DATA.slice(0, 40)}`, SW_WRONG_LENGTH],
    ['MAC1 of a load (type 02)', mac1With(10, '02'), SW_INCORRECT_DATA],
    ['MAC1 on 20261131', mac1With(11, '20261131'), SW_INCORRECT_DATA],
    ['MAC1 with a non-BCD date', mac1With(11, '2026112A'), SW_INCORRECT_DATA],
    ['MAC1 at 24:00:00', mac1With(15, '240000'), SW_INCORRECT_DATA],
    ['MAC1 at 09:60:00', mac1With(15, '096000'), SW_INCORRECT_DATA],
    ['MAC1 with a non-BCD card number', mac1With(20, '100000000000000F'), SW_INCORRECT_DATA],
    ['verify MAC2 with P1P2 0100', '80720100040DEF3FA3', SW_P1P2],
    ['verify MAC2 with 3 bytes', '8072000003AABBCC', SW_WRONG_LENGTH],
    ['verify MAC2 with no data', '80720000', SW_WRONG_LENGTH],
    ['maintenance with P1P2 0001', `8074000115${CARD_NUMBER}${CHALLENGE}${BLOCK_HEADER}00000000`, SW_P1P2],
    ['maintenance with 20 bytes', `8074000014${CARD_NUMBER}${CHALLENGE}${BLOCK_HEADER}000000`, SW_WRONG_LENGTH],
    ['maintenance with Le 02', `8074000015${CARD_NUMBER}${CHALLENGE}${BLOCK_HEADER}0000000002`, SW_WRONG_LENGTH],
    ['maintenance with RFU set', `8074000015${CARD_NUMBER}${CHALLENGE}${BLOCK_HEADER}00000001`, SW_INCORRECT_DATA],
    ['maintenance of another header', `8074000015${CARD_NUMBER}${CHALLENGE}00A404000800000000`, SW_INCORRECT_DATA],
    ['maintenance of a debit header', `8074000015${CARD_NUMBER}${CHALLENGE}805401000F00000000`, SW_INCORRECT_DATA],
    ['maintenance with a non-BCD card number', `8074000015A000000000000001${CHALLENGE}${BLOCK_HEADER}00000000`, SW_INCORRECT_DATA],
    ['unknown proprietary INS', '8076000000', '6D00'],
    ['unknown class', 'A070000000', '6E00'],
    ['extended length', '80700000001C00', SW_WRONG_LENGTH],
    ['two bytes', '8070', SW_WRONG_LENGTH],
  ];

  it.each(cases)('%s', (_name, command, sw) => {
    const store = personalizedStore({ ttsn: TTSN_0101 });
    const bugs: unknown[] = [];
    const card = selectedPsam(store, bugs);
    expect(send(card, command)).toBe(sw);
    expect(toHex(store.get(PSAM_TTSN_KEY)!)).toBe(TTSN_0101);
    expect(bugs).toEqual([]);
    expect(send(card, MAC1_CMD)).toBe(MAC1_RSP); // the card keeps working
  });
});

/** MAC1 of the §8.2 purchase with another TTSN, computed outside the PSAM. */
function mac1For(ttsn: number): Buffer {
  const dpk = diversifyKey(MPK, fromHex(CARD_NUMBER));
  const sespk = purchaseSessionKey(dpk, fromHex('A1B2C3D4'), 5, ttsn);
  return purchaseMac1(sespk, {
    amount: 250,
    terminal: fromHex('000000000001'),
    date: fromHex('20261123'),
    time: fromHex('093000'),
  });
}
