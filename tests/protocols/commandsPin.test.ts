import { describe, expect, it } from 'vitest';
import {
  CHANGE_REFERENCE_DATA_STATUS,
  CommandParameterError,
  PIN_REFERENCE,
  type PinReference,
  ResponseDataError,
  VERIFY_STATUS,
  changeReferenceDataCommand,
  decodePinBlock,
  encodeChangeReferenceData,
  encodePinBlock,
  encodeResetRetryCounter,
  encodeVerify,
  encodeVerifyStatus,
  findExpectedStatus,
  fromHex,
  parseResponseApdu,
  parseVerifyResponse,
  resetRetryCounterCommand,
  verifyCommand,
  verifyStatusCommand,
} from '@citycard/protocols';

const PIN_123456_BLOCK = fromHex('313233343536FFFF');
const PIN_9876_BLOCK = fromHex('39383736FFFFFFFF');
const PUK_12345678_BLOCK = fromHex('3132333435363738');
const VERIFY_PIN_CMD = fromHex('00200001 08 313233343536FFFF');
const VERIFY_PUK_CMD = fromHex('00200081 08 3132333435363738');
const VERIFY_STATUS_CMD = fromHex('00200001');
const CHANGE_PIN_CMD = fromHex('00240001 10 313233343536FFFF 39383736FFFFFFFF');
const RESET_PIN_CMD = fromHex('002C0001 10 3132333435363738 39383736FFFFFFFF');
const SW_9000 = fromHex('9000');
const SW_63C2 = fromHex('63C2');
const SW_63C0 = fromHex('63C0');
const SW_6983 = fromHex('6983');

describe('PIN blocks', () => {
  it('pads a PIN with FF to 8 bytes; a PUK is 8 digits', () => {
    expect(encodePinBlock('123456')).toEqual(PIN_123456_BLOCK);
    expect(encodePinBlock('9876', PIN_REFERENCE.pin)).toEqual(PIN_9876_BLOCK);
    expect(encodePinBlock('12345678', PIN_REFERENCE.puk)).toEqual(PUK_12345678_BLOCK);
  });

  it('round-trips through the card-side decoder', () => {
    for (const pin of ['1234', '00000000', '5555555']) expect(decodePinBlock(encodePinBlock(pin))).toBe(pin);
    expect(decodePinBlock(PUK_12345678_BLOCK, PIN_REFERENCE.puk)).toBe('12345678');
  });

  it.each([
    ['3 digits', '123', PIN_REFERENCE.pin],
    ['9 digits', '123456789', PIN_REFERENCE.pin],
    ['a letter', '12a4', PIN_REFERENCE.pin],
    ['a space', '12 34', PIN_REFERENCE.pin],
    ['non-ASCII digits', '١٢٣٤', PIN_REFERENCE.pin],
    ['a 7-digit PUK', '1234567', PIN_REFERENCE.puk],
  ])('refuses %s without echoing it', (_name, pin, ref) => {
    try {
      encodePinBlock(pin, ref as PinReference);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CommandParameterError);
      expect((err as CommandParameterError).parameter).toBe('pin');
      expect((err as Error).message).not.toContain(pin);
    }
  });

  it('refuses an unknown reference', () => {
    expect(() => encodePinBlock('1234', 0x02 as PinReference)).toThrow(CommandParameterError);
    expect(() => encodeVerifyStatus(0x02 as PinReference)).toThrow(CommandParameterError);
  });

  it.each([
    ['7 bytes', '31323334FFFFFF'],
    ['a digit after the padding', '31323334FF35FFFF'],
    ['3 digits', '313233FFFFFFFFFF'],
    ['a non-digit', '3132333AFFFFFFFF'],
    ['padding with 00', '3132333400000000'],
  ])('the card-side decoder refuses %s', (_name, hex) => {
    expect(() => decodePinBlock(fromHex(hex))).toThrow(CommandParameterError);
  });
});

describe('VERIFY', () => {
  it('encodes a PIN, a PUK and the status form', () => {
    expect(encodeVerify('123456')).toEqual(VERIFY_PIN_CMD);
    expect(verifyCommand('12345678', PIN_REFERENCE.puk).apdu).toEqual(VERIFY_PUK_CMD);
    expect(encodeVerifyStatus()).toEqual(VERIFY_STATUS_CMD);
    expect(verifyStatusCommand().apdu).toEqual(VERIFY_STATUS_CMD);
  });

  it('parses 9000, 63Cx and 6983', () => {
    expect(parseVerifyResponse(parseResponseApdu(SW_9000))).toEqual({ ok: true });
    expect(parseVerifyResponse(parseResponseApdu(SW_63C2))).toEqual({ ok: false, triesLeft: 2, blocked: false });
    expect(parseVerifyResponse(parseResponseApdu(SW_63C0))).toEqual({ ok: false, triesLeft: 0, blocked: true });
    expect(parseVerifyResponse(parseResponseApdu(SW_6983))).toEqual({ ok: false, triesLeft: 0, blocked: true });
  });

  it('rejects data in the answer and status words that are not results', () => {
    expect(() => parseVerifyResponse(parseResponseApdu(fromHex('00 9000')))).toThrow(ResponseDataError);
    expect(() => parseVerifyResponse(parseResponseApdu(fromHex('6982')))).toThrow(ResponseDataError);
  });

  it('expects every 63Cx as a result', () => {
    for (const sw of [0x63c0, 0x63c3, 0x63cf]) expect(findExpectedStatus(VERIFY_STATUS, sw)?.outcome).toBe('result');
    expect(findExpectedStatus(VERIFY_STATUS, 0x63d0)).toBeUndefined();
    expect(findExpectedStatus(VERIFY_STATUS, 0x6983)?.outcome).toBe('result');
  });
});

describe('CHANGE REFERENCE DATA and RESET RETRY COUNTER', () => {
  it('encode exact bytes', () => {
    expect(encodeChangeReferenceData('123456', '9876')).toEqual(CHANGE_PIN_CMD);
    expect(changeReferenceDataCommand('123456', '9876').apdu).toEqual(CHANGE_PIN_CMD);
    expect(encodeResetRetryCounter('12345678', '9876')).toEqual(RESET_PIN_CMD);
    expect(resetRetryCounterCommand('12345678', '9876').apdu).toEqual(RESET_PIN_CMD);
  });

  it('refuse a malformed old PIN, new PIN or PUK', () => {
    expect(() => encodeChangeReferenceData('123', '9876')).toThrow(CommandParameterError);
    expect(() => encodeChangeReferenceData('123456', '98765432109')).toThrow(CommandParameterError);
    expect(() => encodeResetRetryCounter('123456', '9876')).toThrow(CommandParameterError);
    expect(() => encodeResetRetryCounter('12345678', '98')).toThrow(CommandParameterError);
  });

  it('parse tries left of the checked value', () => {
    expect(changeReferenceDataCommand('123456', '9876').parse(parseResponseApdu(SW_63C2))).toEqual({
      ok: false,
      triesLeft: 2,
      blocked: false,
    });
    expect(resetRetryCounterCommand('12345678', '9876').parse(parseResponseApdu(SW_6983))).toMatchObject({ blocked: true });
    expect(resetRetryCounterCommand('12345678', '9876').parse(parseResponseApdu(SW_9000))).toEqual({ ok: true });
    expect(findExpectedStatus(CHANGE_REFERENCE_DATA_STATUS, 0x6a80)?.outcome).toBe('error');
  });
});
