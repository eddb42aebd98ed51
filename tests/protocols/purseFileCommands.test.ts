import { describe, expect, it } from 'vitest';
import { ResponseDataError, findExpectedStatus, fromHex, parseResponseApdu } from '@citycard/protocols';
import {
  EP_AID,
  type EpIssuerData,
  type EpLogRecord,
  PURSE_SELECT_STATUS,
  PurseDataError,
  decodeEpIssuerData,
  decodeEpLimits,
  decodeEpLogRecord,
  encodeEpIssuerData,
  encodeEpLimits,
  encodeEpLogRecord,
  encodeReadEpIssuerData,
  encodeReadEpLimits,
  encodeReadEpLogRecord,
  readEpIssuerDataCommand,
  readEpLimitsCommand,
  readEpLogRecordCommand,
  selectEpCommand,
} from '../../protocols/src/commands/purse/index.js';

const EF15 = fromHex('0000000000000001 02 01 1000000000000001 20261123 20361122 00 000000');
const ISSUER: EpIssuerData = {
  issuerId: '0000000000000001',
  appVersion: 1,
  cardNumber: '1000000000000001',
  effectiveDate: '20261123',
  expiryDate: '20361122',
  cardType: 0,
};
const READ_EF15_CMD = fromHex('00B095001E');
const READ_EF12_CMD = fromHex('00B0920008');
const EF12 = fromHex('000186A0 0000C350');
const READ_LOG_1_CMD = fromHex('00B201C417');
const READ_LOG_10_CMD = fromHex('00B20AC417');
// The §8.2 purchase as the card logs it: counter before 0005, 250, type 06, terminal 000000000001.
const LOG_PURCHASE = fromHex('0005 000000 000000FA 06 000000000001 20261123 093000');
const LOG_PURCHASE_RECORD: EpLogRecord = {
  counter: 5,
  overdraftLimit: 0,
  amount: 250,
  type: 6,
  terminal: '000000000001',
  date: '20261123',
  time: '093000',
};
const SELECT_EP_CMD = fromHex('00A4040008 F043495459455001 00');
const EP_FCI = Buffer.concat([fromHex('6F2D 8408F043495459455001 A521 9F0C1E'), EF15]);
const SW_9000 = fromHex('9000');
const SW_6283 = fromHex('6283');
const SW_6A83 = fromHex('6A83');

const rsp = (...parts: Buffer[]) => parseResponseApdu(Buffer.concat(parts));

describe('EF 0x15 issuer data', () => {
  it('round-trips the worked-example card', () => {
    expect(decodeEpIssuerData(EF15)).toEqual(ISSUER);
    expect(encodeEpIssuerData(ISSUER)).toEqual(EF15);
  });

  it('ignores RFU bytes when decoding', () => {
    const withRfu = Buffer.from(EF15);
    withRfu.set([1, 2, 3], 27);
    expect(decodeEpIssuerData(withRfu)).toEqual(ISSUER);
  });

  it('refuses another length, app type, a non-BCD card number and impossible dates', () => {
    expect(() => decodeEpIssuerData(EF15.subarray(0, 29))).toThrow(PurseDataError);
    const wrongType = Buffer.from(EF15);
    wrongType[8] = 0x01;
    expect(() => decodeEpIssuerData(wrongType)).toThrow(expect.objectContaining({ field: 'applicationType' }));
    const badNumber = Buffer.from(EF15);
    badNumber[17] = 0x0a;
    expect(() => decodeEpIssuerData(badNumber)).toThrow(expect.objectContaining({ field: 'cardNumber' }));
    const badDate = Buffer.from(EF15);
    badDate.set(fromHex('20260230'), 18);
    expect(() => decodeEpIssuerData(badDate)).toThrow(expect.objectContaining({ field: 'effectiveDate' }));
    expect(() => encodeEpIssuerData({ ...ISSUER, cardNumber: '123' })).toThrow(PurseDataError);
    expect(() => encodeEpIssuerData({ ...ISSUER, issuerId: 'XYZ' })).toThrow(PurseDataError);
    expect(() => encodeEpIssuerData({ ...ISSUER, cardType: 256 })).toThrow(PurseDataError);
  });

  it('reads by SFI 15 and decodes', () => {
    expect(encodeReadEpIssuerData()).toEqual(READ_EF15_CMD);
    expect(readEpIssuerDataCommand().apdu).toEqual(READ_EF15_CMD);
    expect(readEpIssuerDataCommand().parse(rsp(EF15, SW_9000))).toEqual(ISSUER);
    expect(() => readEpIssuerDataCommand().parse(rsp(EF15.subarray(0, 20), fromHex('6282')))).toThrow(ResponseDataError);
  });
});

describe('EF 0x12 limits', () => {
  it('round-trips and reads by SFI 12', () => {
    expect(decodeEpLimits(EF12)).toEqual({ maxBalance: 100000, maxSinglePurchase: 50000 });
    expect(encodeEpLimits({ maxBalance: 100000, maxSinglePurchase: 50000 })).toEqual(EF12);
    expect(encodeReadEpLimits()).toEqual(READ_EF12_CMD);
    expect(readEpLimitsCommand().parse(rsp(EF12, SW_9000))).toEqual({ maxBalance: 100000, maxSinglePurchase: 50000 });
    expect(() => decodeEpLimits(EF12.subarray(0, 7))).toThrow(PurseDataError);
    expect(() => encodeEpLimits({ maxBalance: -1, maxSinglePurchase: 0 })).toThrow(PurseDataError);
  });
});

describe('EF 0x18 log record', () => {
  it('round-trips the §8.2 purchase record', () => {
    expect(decodeEpLogRecord(LOG_PURCHASE)).toEqual(LOG_PURCHASE_RECORD);
    expect(encodeEpLogRecord(LOG_PURCHASE_RECORD)).toEqual(LOG_PURCHASE);
  });

  it('refuses other lengths, impossible times and out-of-range fields', () => {
    expect(() => decodeEpLogRecord(LOG_PURCHASE.subarray(1))).toThrow(PurseDataError);
    const badTime = Buffer.from(LOG_PURCHASE);
    badTime.set(fromHex('250000'), 20);
    expect(() => decodeEpLogRecord(badTime)).toThrow(expect.objectContaining({ field: 'time' }));
    expect(() => encodeEpLogRecord({ ...LOG_PURCHASE_RECORD, counter: 0x10000 })).toThrow(PurseDataError);
    expect(() => encodeEpLogRecord({ ...LOG_PURCHASE_RECORD, terminal: '0001' })).toThrow(PurseDataError);
  });

  it('reads record n with P2 C4 and Le 17; 6A83 is no record', () => {
    expect(encodeReadEpLogRecord(1)).toEqual(READ_LOG_1_CMD);
    expect(readEpLogRecordCommand(10).apdu).toEqual(READ_LOG_10_CMD);
    expect(readEpLogRecordCommand(1).parse(rsp(LOG_PURCHASE, SW_9000))).toEqual(LOG_PURCHASE_RECORD);
    expect(readEpLogRecordCommand(2).parse(rsp(SW_6A83))).toBeUndefined();
    expect(() => readEpLogRecordCommand(1).parse(rsp(LOG_PURCHASE.subarray(0, 20), SW_9000))).toThrow(ResponseDataError);
  });
});

describe('SELECT EP', () => {
  it('selects by AID and decodes 9F0C as EF 0x15', () => {
    const command = selectEpCommand();
    expect(command.apdu).toEqual(SELECT_EP_CMD);
    const selection = command.parse(rsp(EP_FCI, SW_9000));
    expect(selection).toMatchObject({ issuerData: ISSUER, blocked: false });
    expect(selection.fci.dfName).toEqual(EP_AID);
  });

  it('reports 6283 as selected but blocked', () => {
    expect(findExpectedStatus(PURSE_SELECT_STATUS, 0x6283)?.outcome).toBe('result');
    expect(selectEpCommand().parse(rsp(EP_FCI, SW_6283)).blocked).toBe(true);
  });

  it('refuses an FCI naming another application', () => {
    const idFci = fromHex('6F0C 8408F043495459494401 A500');
    expect(() => selectEpCommand().parse(rsp(idFci, SW_9000))).toThrow(ResponseDataError);
  });
});
