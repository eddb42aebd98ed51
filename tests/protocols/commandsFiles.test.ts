import { describe, expect, it } from 'vitest';
import {
  CommandParameterError,
  READ_BINARY_STATUS,
  READ_RECORD_STATUS,
  ResponseDataError,
  encodeReadBinary,
  encodeReadRecord,
  encodeUpdateBinary,
  encodeUpdateRecord,
  findExpectedStatus,
  fromHex,
  parseReadBinaryResponse,
  parseReadRecordResponse,
  parseResponseApdu,
  parseUpdateBinaryResponse,
  readBinaryCommand,
  readRecordCommand,
  updateBinaryCommand,
  updateRecordCommand,
} from '@citycard/protocols';

const READ_CERT_FIRST_CMD = fromHex('00B0 8300 00'); // SFI 03, offset 0, Le 256
const READ_CERT_AT_256_CMD = fromHex('00B0 0100 00'); // current EF, offset 0100, Le 256
const READ_AT_0300_LE_2C_CMD = fromHex('00B0 0300 2C');
const READ_SFI_01_AT_5_LE_10_CMD = fromHex('00B0 8105 0A');
const READ_TERMINAL_NO_CMD = fromHex('00B0 9600 06'); // spec §5: PSAM EF 0x16
const READ_LOG_1_CMD = fromHex('00B2 01C4 17'); // SFI 18 record 1, 23 bytes
const READ_LOG_10_CMD = fromHex('00B2 0AC4 00');
const LOG_RECORD = fromHex('0005' + '000000' + '000000FA' + '06' + '000000000001' + '20261123' + '093000');
const CARD_INFO_E1 = fromHex('E125 5A081000000000000001 5F250420261123 5F240420361122 C10100 42080000000000000001');
const UPDATE_CARD_INFO_CMD = fromHex('00D6 8100 27' + CARD_INFO_E1.toString('hex'));
const UPDATE_AT_0200_CMD = fromHex('00D6 0200 03 AABBCC');
const UPDATE_LOG_2_CMD = fromHex('00DC 02C4 17' + LOG_RECORD.toString('hex'));
const SW_9000 = fromHex('9000');

describe('READ BINARY', () => {
  it('encodes the SFI form', () => {
    expect(encodeReadBinary({ sfi: 3 })).toEqual(READ_CERT_FIRST_CMD);
    expect(encodeReadBinary({ sfi: 1, offset: 5 }, 10)).toEqual(READ_SFI_01_AT_5_LE_10_CMD);
    expect(encodeReadBinary({ sfi: 0x16 }, 6)).toEqual(READ_TERMINAL_NO_CMD);
  });

  it('encodes the offset form', () => {
    expect(encodeReadBinary({ offset: 256 })).toEqual(READ_CERT_AT_256_CMD);
    expect(readBinaryCommand({ offset: 0x300 }, 0x2c).apdu).toEqual(READ_AT_0300_LE_2C_CMD);
  });

  it.each([
    ['SFI 0', () => encodeReadBinary({ sfi: 0 })],
    ['SFI 31', () => encodeReadBinary({ sfi: 31 })],
    ['an SFI-form offset of 256', () => encodeReadBinary({ sfi: 3, offset: 256 })],
    ['an offset of 8000', () => encodeReadBinary({ offset: 0x8000 })],
    ['Le 0', () => encodeReadBinary({ sfi: 3 }, 0)],
    ['Le 257', () => encodeReadBinary({ sfi: 3 }, 257)],
  ])('refuses %s', (_name, encode) => {
    expect(encode).toThrow(CommandParameterError);
  });

  it('parses a full read and a short read at the end of the file', () => {
    const full = parseResponseApdu(Buffer.concat([Buffer.alloc(10, 0xab), SW_9000]));
    expect(parseReadBinaryResponse(full, 10)).toEqual({ data: Buffer.alloc(10, 0xab), endOfFile: false });
    const short = parseResponseApdu(fromHex('ABAB 6282'));
    expect(readBinaryCommand({ sfi: 1 }, 10).parse(short)).toEqual({ data: fromHex('ABAB'), endOfFile: true });
    expect(parseReadBinaryResponse(parseResponseApdu(fromHex('6282')), 256)).toEqual({ data: Buffer.alloc(0), endOfFile: true });
  });

  it.each([
    ['9000 with fewer than Le bytes', 'ABAB9000', 10],
    ['6282 with Le bytes', 'ABAB6282', 2],
    ['a status that carries no result', '6A82', 10],
  ])('rejects %s', (_name, hex, le) => {
    expect(() => parseReadBinaryResponse(parseResponseApdu(fromHex(hex)), le)).toThrow(ResponseDataError);
  });

  it('expects 6282 as a result and 6982 as an error', () => {
    expect(findExpectedStatus(READ_BINARY_STATUS, 0x6282)?.outcome).toBe('result');
    expect(findExpectedStatus(READ_BINARY_STATUS, 0x6982)?.outcome).toBe('error');
    expect(findExpectedStatus(READ_BINARY_STATUS, 0x6a83)).toBeUndefined();
  });
});

describe('READ RECORD', () => {
  it('encodes P2 = SFI << 3 | 04', () => {
    expect(encodeReadRecord(0x18, 1, 23)).toEqual(READ_LOG_1_CMD);
    expect(readRecordCommand(0x18, 10).apdu).toEqual(READ_LOG_10_CMD);
  });

  it.each([
    ['record 0', () => encodeReadRecord(0x18, 0)],
    ['record FF', () => encodeReadRecord(0x18, 0xff)],
    ['SFI 31', () => encodeReadRecord(31, 1)],
  ])('refuses %s', (_name, encode) => {
    expect(encode).toThrow(CommandParameterError);
  });

  it('parses a record and 6A83 as no record', () => {
    expect(readRecordCommand(0x18, 1, 23).parse(parseResponseApdu(Buffer.concat([LOG_RECORD, SW_9000])))).toEqual(LOG_RECORD);
    expect(parseReadRecordResponse(parseResponseApdu(fromHex('6A83')))).toBeUndefined();
    expect(findExpectedStatus(READ_RECORD_STATUS, 0x6a83)?.outcome).toBe('result');
  });

  it('rejects a record longer than Le', () => {
    const rsp = parseResponseApdu(Buffer.concat([LOG_RECORD, SW_9000]));
    expect(() => parseReadRecordResponse(rsp, 22)).toThrow(ResponseDataError);
  });
});

describe('UPDATE BINARY and UPDATE RECORD', () => {
  it('encode exact bytes', () => {
    expect(encodeUpdateBinary({ sfi: 1 }, CARD_INFO_E1)).toEqual(UPDATE_CARD_INFO_CMD);
    expect(updateBinaryCommand({ offset: 0x200 }, fromHex('AABBCC')).apdu).toEqual(UPDATE_AT_0200_CMD);
    expect(encodeUpdateRecord(0x18, 2, LOG_RECORD)).toEqual(UPDATE_LOG_2_CMD);
    expect(updateRecordCommand(0x18, 2, LOG_RECORD).apdu).toEqual(UPDATE_LOG_2_CMD);
  });

  it.each([
    ['empty binary data', () => encodeUpdateBinary({ sfi: 1 }, Buffer.alloc(0))],
    ['256 bytes of binary data', () => encodeUpdateBinary({ sfi: 1 }, Buffer.alloc(256))],
    ['empty record data', () => encodeUpdateRecord(0x18, 1, Buffer.alloc(0))],
    ['record 0', () => encodeUpdateRecord(0x18, 0, LOG_RECORD)],
  ])('refuse %s', (_name, encode) => {
    expect(encode).toThrow(CommandParameterError);
  });

  it('accept 9000 without data only', () => {
    expect(parseUpdateBinaryResponse(parseResponseApdu(SW_9000))).toBeUndefined();
    expect(() => parseUpdateBinaryResponse(parseResponseApdu(fromHex('00 9000')))).toThrow(ResponseDataError);
    expect(() => updateRecordCommand(0x18, 2, LOG_RECORD).parse(parseResponseApdu(fromHex('00 9000')))).toThrow(
      ResponseDataError,
    );
  });
});
