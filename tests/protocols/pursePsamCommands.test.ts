import { describe, expect, it } from 'vitest';
import { CommandParameterError, ResponseDataError, findExpectedStatus, fromHex, parseResponseApdu } from '@citycard/protocols';
import {
  PSAM_MAC1_STATUS,
  PSAM_VERIFY_MAC2_STATUS,
  encodePsamMac1,
  encodePsamMaintenanceMac,
  encodePsamVerifyMac2,
  encodeReadPsamTerminalNumber,
  parsePsamMac1Response,
  parsePsamMaintenanceMacResponse,
  parsePsamVerifyMac2Response,
  psamMac1Command,
  psamMaintenanceMacCommand,
  psamVerifyMac2Command,
  readPsamTerminalNumberCommand,
  selectPsamCommand,
} from '../../protocols/src/commands/purse/index.js';

// Spec §8.2 purchase: random A1B2C3D4, offline counter 0005, 250, 20261123 093000, key version 01, card 1000000000000001.
const MAC1_CMD = fromHex('807000001C A1B2C3D4 0005 000000FA 06 20261123 093000 01 00 1000000000000001 08');
const MAC1_RSP = fromHex('00000102 AE47C133 9000');
const VERIFY_MAC2_CMD = fromHex('8072000004 0DEF3FA3');
const SW_9000 = fromHex('9000');
const SW_9302 = fromHex('9302');
const CHALLENGE = fromHex('11223344');
const MAINTENANCE_CMD = fromHex('8074000015 1000000000000001 11223344 841E000004 00000000 04');
const MAINTENANCE_RSP = fromHex('E7400602 9000');
const READ_TERMINAL_CMD = fromHex('00B0960006');
const READ_TERMINAL_RSP = fromHex('000000000001 9000');
const SELECT_PSAM_CMD = fromHex('00A4040008 F04349545953414D 00');
const SELECT_PSAM_RSP = fromHex('6F15 8408F04349545953414D A509 5007434954595341 4D 9000');

const MAC1_INPUT = {
  random: fromHex('A1B2C3D4'),
  offlineCounter: 5,
  amount: 250,
  date: fromHex('20261123'),
  time: fromHex('093000'),
  keyVersion: 1,
  cardNumber: fromHex('1000000000000001'),
};

const rsp = (bytes: Buffer) => parseResponseApdu(bytes);

describe('PSAM MAC1 for purchase', () => {
  it('encodes the 28 data bytes of §5 with type 06 and alg 00 by default', () => {
    expect(encodePsamMac1(MAC1_INPUT)).toEqual(MAC1_CMD);
    expect(psamMac1Command({ ...MAC1_INPUT, type: 0x06, algorithmId: 0 }).apdu).toEqual(MAC1_CMD);
  });

  it('parses TTSN and MAC1', () => {
    expect(parsePsamMac1Response(rsp(MAC1_RSP))).toEqual({ ttsn: 0x102, mac1: fromHex('AE47C133') });
    expect(() => parsePsamMac1Response(rsp(fromHex('00000102 9000')))).toThrow(ResponseDataError);
  });

  it('refuses a card number that is not BCD and a short random', () => {
    expect(() => encodePsamMac1({ ...MAC1_INPUT, cardNumber: fromHex('100000000000000A') })).toThrow(CommandParameterError);
    expect(() => encodePsamMac1({ ...MAC1_INPUT, random: fromHex('A1B2C3') })).toThrow(CommandParameterError);
    expect(() => encodePsamMac1({ ...MAC1_INPUT, offlineCounter: 0x10000 })).toThrow(CommandParameterError);
  });

  it('expects 9403 (no MPK of that key version) as an error', () => {
    expect(findExpectedStatus(PSAM_MAC1_STATUS, 0x9403)?.outcome).toBe('error');
  });
});

describe('PSAM verify MAC2', () => {
  it('encodes the MAC2', () => {
    expect(encodePsamVerifyMac2(fromHex('0DEF3FA3'))).toEqual(VERIFY_MAC2_CMD);
    expect(() => encodePsamVerifyMac2(fromHex('0DEF3F'))).toThrow(CommandParameterError);
  });

  it('answers true for 9000 and false for 9302, both results', () => {
    expect(psamVerifyMac2Command(fromHex('0DEF3FA3')).parse(rsp(SW_9000))).toBe(true);
    expect(parsePsamVerifyMac2Response(rsp(SW_9302))).toBe(false);
    expect(findExpectedStatus(PSAM_VERIFY_MAC2_STATUS, 0x9302)?.outcome).toBe('result');
    expect(findExpectedStatus(PSAM_VERIFY_MAC2_STATUS, 0x6985)?.outcome).toBe('error');
  });
});

describe('PSAM maintenance MAC', () => {
  it('encodes card number, challenge, header and RFU with Le 04', () => {
    const input = { cardNumber: fromHex('1000000000000001'), challenge: CHALLENGE, header: fromHex('841E000004') };
    expect(encodePsamMaintenanceMac(input)).toEqual(MAINTENANCE_CMD);
    expect(psamMaintenanceMacCommand(input).parse(rsp(MAINTENANCE_RSP))).toEqual(fromHex('E7400602'));
    expect(() => encodePsamMaintenanceMac({ ...input, header: fromHex('841E0000') })).toThrow(CommandParameterError);
    expect(() => parsePsamMaintenanceMacResponse(rsp(SW_9000))).toThrow(ResponseDataError);
  });
});

describe('PSAM terminal number and SELECT', () => {
  it('reads EF 16 with 00 B0 96 00 06', () => {
    expect(encodeReadPsamTerminalNumber()).toEqual(READ_TERMINAL_CMD);
    expect(readPsamTerminalNumberCommand().parse(rsp(READ_TERMINAL_RSP))).toEqual(fromHex('000000000001'));
    expect(() => readPsamTerminalNumberCommand().parse(rsp(fromHex('0000000001 6282')))).toThrow(ResponseDataError);
  });

  it('selects the PSAM by AID and checks the DF name', () => {
    const command = selectPsamCommand();
    expect(command.apdu).toEqual(SELECT_PSAM_CMD);
    const selection = command.parse(rsp(SELECT_PSAM_RSP));
    expect(selection.blocked).toBe(false);
    expect(selection.issuerData).toBeUndefined();
    expect(selection.fci.dfName).toEqual(fromHex('F04349545953414D'));
  });
});
