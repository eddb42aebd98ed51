import { describe, expect, it } from 'vitest';
import {
  ApduFormatError,
  ExtendedLengthError,
  apduCase,
  encodeCommandApdu,
  encodeResponseApdu,
  fromHex,
  parseCommandApdu,
  parseResponseApdu,
} from '@citycard/protocols';

const ID_AID = fromHex('F043495459494401');
const CASE1_CMD = fromHex('00A40000');
const CASE2_READ_CARD_INFO = fromHex('00B0810000');
const CASE2_LE_1 = fromHex('00B0810001');
const CASE3_SELECT_NO_FCI = fromHex('00A4040C08F043495459494401');
const CASE4_SELECT_ID = fromHex('00A4040008F04349545949440100');
const CASE4_INTERNAL_AUTH = fromHex('0088000110' + '00112233445566778899AABBCCDDEEFF' + '00');
const EXTENDED_CASE2 = fromHex('00B000000001 00'.replace(' ', ''));
const EXTENDED_CASE3 = fromHex('00DA0000000003AABBCC');

describe('command APDU codec', () => {
  it('parses case 1', () => {
    const cmd = parseCommandApdu(CASE1_CMD);
    expect(cmd).toMatchObject({ cla: 0x00, ins: 0xa4, p1: 0x00, p2: 0x00, le: undefined });
    expect(cmd.data.length).toBe(0);
    expect(apduCase(cmd)).toBe(1);
  });

  it('parses case 2 with Le 00 meaning 256', () => {
    const cmd = parseCommandApdu(CASE2_READ_CARD_INFO);
    expect(cmd).toMatchObject({ ins: 0xb0, p1: 0x81, p2: 0x00, le: 256 });
    expect(apduCase(cmd)).toBe(2);
    expect(parseCommandApdu(CASE2_LE_1).le).toBe(1);
  });

  it('parses case 3 and case 4', () => {
    const c3 = parseCommandApdu(CASE3_SELECT_NO_FCI);
    expect(apduCase(c3)).toBe(3);
    expect(c3.p2).toBe(0x0c);
    expect(c3.data.equals(ID_AID)).toBe(true);
    const c4 = parseCommandApdu(CASE4_SELECT_ID);
    expect(apduCase(c4)).toBe(4);
    expect(c4.data.equals(ID_AID)).toBe(true);
    expect(c4.le).toBe(256);
    const auth = parseCommandApdu(CASE4_INTERNAL_AUTH);
    expect(auth.data.length).toBe(16);
    expect(auth.p2).toBe(0x01);
  });

  it('encodes each case to the exact bytes it parses from', () => {
    for (const bytes of [CASE1_CMD, CASE2_READ_CARD_INFO, CASE2_LE_1, CASE3_SELECT_NO_FCI, CASE4_SELECT_ID, CASE4_INTERNAL_AUTH]) {
      expect(encodeCommandApdu(parseCommandApdu(bytes)).equals(bytes)).toBe(true);
    }
    expect(encodeCommandApdu({ cla: 0, ins: 0xa4, p1: 4, p2: 0, data: ID_AID, le: 256 })).toEqual(CASE4_SELECT_ID);
  });

  it('refuses extended length with a typed error carrying 6700', () => {
    for (const bytes of [EXTENDED_CASE2, EXTENDED_CASE3]) {
      const err = catchError(() => parseCommandApdu(bytes));
      expect(err).toBeInstanceOf(ExtendedLengthError);
      expect((err as ExtendedLengthError).sw).toBe(0x6700);
    }
    expect(() => encodeCommandApdu({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: Buffer.alloc(256) })).toThrow(ExtendedLengthError);
    expect(() => encodeCommandApdu({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 257 })).toThrow(ExtendedLengthError);
  });

  it('refuses lengths that match no case', () => {
    for (const hex of ['', '00', '00A400', '00A4040008F0434954', '00A4040002AABBCCDD']) {
      const err = catchError(() => parseCommandApdu(fromHex(hex)));
      expect(err).toBeInstanceOf(ApduFormatError);
      expect((err as ApduFormatError).sw).toBe(0x6700);
    }
  });

  it('refuses out-of-range header bytes and Le when encoding', () => {
    expect(() => encodeCommandApdu({ cla: 0x100, ins: 0, p1: 0, p2: 0 })).toThrow(RangeError);
    expect(() => encodeCommandApdu({ cla: 0, ins: 0, p1: -1, p2: 0 })).toThrow(RangeError);
    expect(() => encodeCommandApdu({ cla: 0, ins: 0, p1: 0, p2: 0, le: 0 })).toThrow(RangeError);
  });
});

describe('response APDU codec', () => {
  it('splits data and status word', () => {
    const rsp = parseResponseApdu(fromHex('AABB9000'));
    expect(rsp.data).toEqual(fromHex('AABB'));
    expect(rsp.sw).toBe(0x9000);
    expect(parseResponseApdu(fromHex('6A82'))).toEqual({ data: Buffer.alloc(0), sw: 0x6a82 });
  });

  it('encodes data then SW', () => {
    expect(encodeResponseApdu(fromHex('0102'), 0x6282)).toEqual(fromHex('01026282'));
    expect(encodeResponseApdu(Buffer.alloc(0), 0x63c2)).toEqual(fromHex('63C2'));
  });

  it('refuses a response without status word or over 256 data bytes', () => {
    expect(() => parseResponseApdu(fromHex('90'))).toThrow(ApduFormatError);
    expect(() => parseResponseApdu(Buffer.alloc(259))).toThrow(ApduFormatError);
    expect(() => encodeResponseApdu(Buffer.alloc(257), 0x9000)).toThrow(RangeError);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
