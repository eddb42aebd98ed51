import { describe, expect, it } from 'vitest';
import { fromHex, toHex, xor } from '../../protocols/src/bytes.js';
import { desEcbDecrypt, desEcbEncrypt } from '../../protocols/src/crypto/des.js';
import { macAlgorithm1, macAlgorithm3, padMethod2 } from '../../protocols/src/crypto/iso9797.js';
import {
  EP_LOAD,
  EP_PURCHASE,
  diversifyKey,
  loadMac1,
  loadMac1Data,
  loadMac2,
  loadMac2Data,
  loadSessionKey,
  loadTac,
  loadTacData,
  maintenanceMac,
  purchaseMac1,
  purchaseMac1Data,
  purchaseMac2,
  purchaseMac2Data,
  purchaseSessionKey,
  purchaseTac,
  purchaseTacData,
  tacKey,
} from '../../protocols/src/crypto/purse.js';

// §8.1 public PBOC vectors: the card key is used directly; their load type is 01.
const PBOC_KEY = fromHex('11223344556677888877665544332211');
const PBOC_RANDOM = fromHex('11223344');
const PBOC_TERMINAL = fromHex('001122334455');
const PBOC_LOAD_TYPE = 0x01;
const PBOC_SESLK = fromHex('9B1D924E05595603');
const PBOC_LOAD_MAC1 = fromHex('2988AE5A');
const PBOC_LOAD_MAC2 = fromHex('3A845BF0');
const PBOC_SESPK = fromHex('003238ABC57659DD');
const PBOC_PURCHASE_MAC1 = fromHex('F15CAB75');

// §7 test key profile and §8.2 worked example.
const MPK = fromHex('11223344556677888877665544332211');
const MLK = fromHex('2233445566778899AABBCCDDEEFF0011');
const MTK = fromHex('33445566778899AABBCCDDEEFF001122');
const CARD_NUMBER = fromHex('1000000000000001');
const DPK = fromHex('C30E7ECB2FD9DFCD3B4BC7DE47BFD57E');
const DLK = fromHex('6F1186E96A32127373D84967E33308F1');
const DTK = fromHex('BD1FFE3A509BADFD0B97BAF5C21945EB');
const TAC_KEY = fromHex('B68844CF9282E816');
const TERMINAL = fromHex('000000000001');
const DATE = fromHex('20261123');
const TIME = fromHex('093000');

const PURCHASE_AMOUNT = 250;
const PURCHASE_RANDOM = fromHex('A1B2C3D4');
const OFFLINE_COUNTER = 0x0005;
const TTSN = 0x00000102;
const SESPK = fromHex('C7482DD2D2026955');
const PURCHASE_MAC1 = fromHex('AE47C133');
const PURCHASE_MAC2 = fromHex('0DEF3FA3');
const PURCHASE_TAC = fromHex('A0F363C7');

const LOAD_AMOUNT = 5000;
const OLD_BALANCE = 10000;
const LOAD_RANDOM = fromHex('0F1E2D3C');
const ONLINE_COUNTER = 0x0002;
const SESLK = fromHex('0CEE605BBCA6E122');
const LOAD_MAC1 = fromHex('1395117E');
const LOAD_MAC2 = fromHex('DCBB1D14');
const LOAD_TAC = fromHex('CC3A082D');

const PURCHASE = { amount: PURCHASE_AMOUNT, terminal: TERMINAL, date: DATE, time: TIME };
const LOAD = { amount: LOAD_AMOUNT, terminal: TERMINAL, date: DATE, time: TIME };

describe('§8.1 public PBOC vectors', () => {
  it('SESLK', () => {
    expect(toHex(loadSessionKey(PBOC_KEY, PBOC_RANDOM, 0))).toBe(toHex(PBOC_SESLK));
  });

  it('load MAC1 (type 01)', () => {
    const input = { balance: 0, amount: 0x1000, type: PBOC_LOAD_TYPE, terminal: PBOC_TERMINAL };
    expect(toHex(loadMac1Data(input))).toBe('00000000' + '00001000' + '01' + '001122334455');
    expect(toHex(loadMac1(PBOC_SESLK, input))).toBe(toHex(PBOC_LOAD_MAC1));
  });

  it('load MAC2 (type 01)', () => {
    const input = {
      amount: 0x1000,
      type: PBOC_LOAD_TYPE,
      terminal: PBOC_TERMINAL,
      date: fromHex('20111221'),
      time: fromHex('214822'),
    };
    expect(toHex(loadMac2Data(input))).toBe('00001000' + '01' + '001122334455' + '20111221' + '214822');
    expect(toHex(loadMac2(PBOC_SESLK, input))).toBe(toHex(PBOC_LOAD_MAC2));
  });

  it('SESPK', () => {
    expect(toHex(purchaseSessionKey(PBOC_KEY, PBOC_RANDOM, 0, 0x00000001))).toBe(toHex(PBOC_SESPK));
  });

  it('purchase MAC1', () => {
    const input = { amount: 0x1000, terminal: PBOC_TERMINAL, date: fromHex('20120229'), time: fromHex('135100') };
    expect(toHex(purchaseMac1Data(input))).toBe('00001000' + '06' + '001122334455' + '20120229' + '135100');
    expect(toHex(purchaseMac1(PBOC_SESPK, input))).toBe(toHex(PBOC_PURCHASE_MAC1));
  });
});

describe('§8.2 worked example: keys', () => {
  it('diversifies DPK, DLK and DTK from the card number', () => {
    expect(toHex(diversifyKey(MPK, CARD_NUMBER))).toBe(toHex(DPK));
    expect(toHex(diversifyKey(MLK, CARD_NUMBER))).toBe(toHex(DLK));
    expect(toHex(diversifyKey(MTK, CARD_NUMBER))).toBe(toHex(DTK));
  });

  it('diversification is E(MK, F) || E(MK, NOT F)', () => {
    const notF = fromHex('EFFFFFFFFFFFFFFE');
    expect(toHex(diversifyKey(MPK, CARD_NUMBER))).toBe(
      toHex(desEcbEncrypt(MPK, CARD_NUMBER)) + toHex(desEcbEncrypt(MPK, notF)),
    );
  });

  it('TAC key', () => {
    expect(toHex(tacKey(DTK))).toBe(toHex(TAC_KEY));
  });
});

describe('§8.2 worked example: purchase', () => {
  it('SESPK', () => {
    expect(toHex(purchaseSessionKey(DPK, PURCHASE_RANDOM, OFFLINE_COUNTER, TTSN))).toBe(toHex(SESPK));
  });

  it('SESPK uses only the two low bytes of the TTSN', () => {
    expect(toHex(purchaseSessionKey(DPK, PURCHASE_RANDOM, OFFLINE_COUNTER, 0xabcd0102))).toBe(toHex(SESPK));
  });

  it('MAC1', () => {
    expect(toHex(purchaseMac1Data(PURCHASE))).toBe('000000FA' + '06' + '000000000001' + '20261123' + '093000');
    expect(toHex(purchaseMac1(SESPK, PURCHASE))).toBe(toHex(PURCHASE_MAC1));
  });

  it('MAC2', () => {
    expect(toHex(purchaseMac2Data(PURCHASE_AMOUNT))).toBe('000000FA');
    expect(toHex(purchaseMac2(SESPK, PURCHASE_AMOUNT))).toBe(toHex(PURCHASE_MAC2));
  });

  it('TAC', () => {
    const input = { ...PURCHASE, ttsn: TTSN };
    expect(toHex(purchaseTacData(input))).toBe('000000FA' + '06' + '000000000001' + '00000102' + '20261123' + '093000');
    expect(toHex(purchaseTac(TAC_KEY, input))).toBe(toHex(PURCHASE_TAC));
  });
});

describe('§8.2 worked example: load', () => {
  it('SESLK', () => {
    expect(toHex(loadSessionKey(DLK, LOAD_RANDOM, ONLINE_COUNTER))).toBe(toHex(SESLK));
  });

  it('MAC1', () => {
    const input = { balance: OLD_BALANCE, amount: LOAD_AMOUNT, terminal: TERMINAL };
    expect(toHex(loadMac1Data(input))).toBe('00002710' + '00001388' + '02' + '000000000001');
    expect(toHex(loadMac1(SESLK, input))).toBe(toHex(LOAD_MAC1));
  });

  it('MAC2', () => {
    expect(toHex(loadMac2Data(LOAD))).toBe('00001388' + '02' + '000000000001' + '20261123' + '093000');
    expect(toHex(loadMac2(SESLK, LOAD))).toBe(toHex(LOAD_MAC2));
  });

  it('TAC', () => {
    const input = { ...LOAD, newBalance: OLD_BALANCE + LOAD_AMOUNT, onlineCounter: ONLINE_COUNTER };
    expect(toHex(loadTacData(input))).toBe(
      '00003A98' + '0002' + '00001388' + '02' + '000000000001' + '20261123' + '093000',
    );
    expect(toHex(loadTac(TAC_KEY, input))).toBe(toHex(LOAD_TAC));
  });

  it('the type defaults to EP_LOAD / EP_PURCHASE and can be overridden', () => {
    expect(EP_LOAD).toBe(0x02);
    expect(EP_PURCHASE).toBe(0x06);
    expect(toHex(loadMac2(SESLK, { ...LOAD, type: EP_LOAD }))).toBe(toHex(LOAD_MAC2));
    expect(toHex(loadMac2(SESLK, { ...LOAD, type: 0x01 }))).not.toBe(toHex(LOAD_MAC2));
  });
});

describe('maintenance MAC (§5)', () => {
  const DAMK = diversifyKey(fromHex('445566778899AABBCCDDEEFF00112233'), CARD_NUMBER);
  const CHALLENGE = fromHex('01020304');
  const BLOCK_HEADER = fromHex('841E000004');

  it('is MAC algorithm 3 with ICV challenge || 00000000 over the padded header', () => {
    const icv = fromHex('0102030400000000');
    const expected = macAlgorithm3(DAMK, BLOCK_HEADER, { icv }).subarray(0, 4);
    expect(toHex(maintenanceMac(DAMK, CHALLENGE, BLOCK_HEADER))).toBe(toHex(expected));
  });

  it('equals E(K1, D(K2, E(K1, ICV xor pad(header)))) step by step', () => {
    const k1 = DAMK.subarray(0, 8);
    const k2 = DAMK.subarray(8, 16);
    const block = xor(padMethod2(BLOCK_HEADER), fromHex('0102030400000000'));
    const mac = desEcbEncrypt(k1, desEcbDecrypt(k2, desEcbEncrypt(k1, block)));
    expect(toHex(maintenanceMac(DAMK, CHALLENGE, BLOCK_HEADER))).toBe(toHex(mac.subarray(0, 4)));
  });

  it('differs for APPLICATION UNBLOCK and for another challenge', () => {
    const block = maintenanceMac(DAMK, CHALLENGE, BLOCK_HEADER);
    expect(toHex(maintenanceMac(DAMK, CHALLENGE, fromHex('8418000004')))).not.toBe(toHex(block));
    expect(toHex(maintenanceMac(DAMK, fromHex('01020305'), BLOCK_HEADER))).not.toBe(toHex(block));
  });
});

describe('purse MAC is single-DES CBC-MAC, padding 2, leftmost 4', () => {
  it('matches MAC algorithm 1 with 4-byte truncation', () => {
    const data = purchaseMac1Data(PURCHASE);
    expect(toHex(purchaseMac1(SESPK, PURCHASE))).toBe(toHex(macAlgorithm1(SESPK, data, { length: 4 })));
  });
});

describe('range checks', () => {
  it('rejects wrong key, card number, random and header lengths', () => {
    expect(() => diversifyKey(MPK.subarray(0, 8), CARD_NUMBER)).toThrow(RangeError);
    expect(() => diversifyKey(MPK, CARD_NUMBER.subarray(0, 7))).toThrow(RangeError);
    expect(() => purchaseSessionKey(DPK.subarray(0, 8), PURCHASE_RANDOM, 0, 0)).toThrow(RangeError);
    expect(() => purchaseSessionKey(DPK, fromHex('A1B2C3'), 0, 0)).toThrow(RangeError);
    expect(() => loadSessionKey(DLK, fromHex('0F1E2D3C4B'), 0)).toThrow(RangeError);
    expect(() => tacKey(TAC_KEY)).toThrow(RangeError);
    expect(() => purchaseMac2(DPK, 1)).toThrow(RangeError);
    expect(() => loadTac(DTK, { ...LOAD, newBalance: 1, onlineCounter: 0 })).toThrow(RangeError);
    expect(() => maintenanceMac(DPK.subarray(0, 8), fromHex('01020304'), fromHex('841E000004'))).toThrow(RangeError);
    expect(() => maintenanceMac(DPK, fromHex('0102030405060708'), fromHex('841E000004'))).toThrow(RangeError);
    expect(() => maintenanceMac(DPK, fromHex('01020304'), fromHex('841E0000'))).toThrow(RangeError);
  });

  it('rejects counters outside 0 to 65535', () => {
    expect(() => purchaseSessionKey(DPK, PURCHASE_RANDOM, 65536, TTSN)).toThrow(RangeError);
    expect(() => purchaseSessionKey(DPK, PURCHASE_RANDOM, -1, TTSN)).toThrow(RangeError);
    expect(() => loadSessionKey(DLK, LOAD_RANDOM, 1.5)).toThrow(RangeError);
    expect(() => loadTacData({ ...LOAD, newBalance: 1, onlineCounter: 0x10000 })).toThrow(RangeError);
    expect(toHex(loadSessionKey(DLK, LOAD_RANDOM, 65535))).toHaveLength(16);
  });

  it('rejects amounts, balances and TTSN outside 0 to 2^32-1', () => {
    expect(() => purchaseMac2Data(2 ** 32)).toThrow(RangeError);
    expect(() => purchaseMac2Data(-1)).toThrow(RangeError);
    expect(() => purchaseMac2Data(Number.NaN)).toThrow(RangeError);
    expect(toHex(purchaseMac2Data(2 ** 32 - 1))).toBe('FFFFFFFF');
    expect(() => loadMac1Data({ balance: 2 ** 32, amount: 1, terminal: TERMINAL })).toThrow(RangeError);
    expect(() => loadMac1Data({ balance: 0, amount: 2 ** 32, terminal: TERMINAL })).toThrow(RangeError);
    expect(() => purchaseTacData({ ...PURCHASE, ttsn: 2 ** 32 })).toThrow(RangeError);
    expect(() => purchaseSessionKey(DPK, PURCHASE_RANDOM, 0, -1)).toThrow(RangeError);
  });

  it('rejects a type outside 0 to 255 and wrong terminal, date and time lengths', () => {
    expect(() => purchaseMac1Data({ ...PURCHASE, type: 256 })).toThrow(RangeError);
    expect(() => purchaseMac1Data({ ...PURCHASE, terminal: fromHex('0000000001') })).toThrow(RangeError);
    expect(() => purchaseMac1Data({ ...PURCHASE, date: fromHex('202611') })).toThrow(RangeError);
    expect(() => loadMac2Data({ ...LOAD, time: fromHex('0930') })).toThrow(RangeError);
  });
});
