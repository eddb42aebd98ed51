import { describe, expect, it } from 'vitest';
import {
  CommandParameterError,
  ID_AID,
  ResponseDataError,
  SELECT_STATUS,
  encodeSelectByAid,
  encodeSelectByFid,
  findExpectedStatus,
  fromHex,
  parseFci,
  parseResponseApdu,
  parseSelectResponse,
  selectByAidCommand,
  selectByFidCommand,
} from '@citycard/protocols';

const EP_AID = fromHex('F043495459455001');
const SELECT_ID_CMD = fromHex('00A40400 08 F043495459494401 00');
const SELECT_ID_NO_FCI_CMD = fromHex('00A4040C 08 F043495459494401');
const SELECT_MF_CMD = fromHex('00A40000 02 3F00');
const SELECT_MF_NO_FCI_CMD = fromHex('00A4000C 02 3F00');

const ID_FCI = fromHex('6F0C 8408F043495459494401 A500');
const SELECT_ID_RSP = fromHex('6F0C 8408F043495459494401 A500 9000');
const EF15 = fromHex('0000000000000001' + '02' + '01' + '1000000000000001' + '20261123' + '20361122' + '00' + '000000');
const EP_FCI = fromHex('6F2D 8408F043495459455001 A521 9F0C1E' + EF15.toString('hex'));
// FCP of a 64-byte transparent EF 0001 with SFI 01, as a card may answer SELECT by FID.
const EF_0001_FCP = fromHex('620E 80020040 820101 83020001 880101');
const SW_9000 = fromHex('9000');
const SW_6A82 = fromHex('6A82');

describe('SELECT encode', () => {
  it('by AID asks for the FCI with Le 00', () => {
    expect(encodeSelectByAid(ID_AID)).toEqual(SELECT_ID_CMD);
    expect(selectByAidCommand(ID_AID).apdu).toEqual(SELECT_ID_CMD);
  });

  it('by AID with P2 0C carries no Le', () => {
    expect(encodeSelectByAid(ID_AID, { fci: false })).toEqual(SELECT_ID_NO_FCI_CMD);
  });

  it('by FID', () => {
    expect(encodeSelectByFid(0x3f00)).toEqual(SELECT_MF_CMD);
    expect(encodeSelectByFid(0x3f00, { fci: false })).toEqual(SELECT_MF_NO_FCI_CMD);
    expect(selectByFidCommand(0x3f00).apdu).toEqual(SELECT_MF_CMD);
  });

  it.each([
    ['an AID of 4 bytes', () => encodeSelectByAid(fromHex('F0434954'))],
    ['an AID of 17 bytes', () => encodeSelectByAid(Buffer.alloc(17, 0xf0))],
    ['a FID above FFFF', () => encodeSelectByFid(0x10000)],
    ['a negative FID', () => encodeSelectByFid(-1)],
  ])('refuses %s', (_name, encode) => {
    expect(encode).toThrow(CommandParameterError);
  });
});

describe('FCI', () => {
  it('parses the ID FCI', () => {
    const fci = parseFci(ID_FCI);
    expect(fci.dfName).toEqual(ID_AID);
    expect(fci.proprietary).toEqual([]);
    expect(fci.issuerDiscretionaryData).toBeUndefined();
    expect(fci.raw).toEqual(ID_FCI);
  });

  it("parses the EP's 9F0C (EF 0x15 content)", () => {
    const fci = parseFci(EP_FCI);
    expect(fci.dfName).toEqual(EP_AID);
    expect(fci.issuerDiscretionaryData).toEqual(EF15);
    expect(fci.proprietary?.map((t) => t.tag)).toEqual([0x9f0c]);
  });

  it.each([
    ['not a 6F template', '6E0C8408F043495459494401A500'],
    ['malformed BER-TLV', '6F0C8408F0434954'],
    ['9F0C of 29 bytes', '6F2C8408F043495459455001A5209F0C1D' + '00'.repeat(29)],
    ['two DF names', '6F148408F0434954594944018408F043495459494401'],
    ['bytes after the template', '6F0C8408F043495459494401A500' + '00'],
  ])('rejects %s', (_name, hex) => {
    expect(() => parseFci(fromHex(hex))).toThrow(ResponseDataError);
  });
});

describe('SELECT parse', () => {
  it('returns the FCI of the selected AID', () => {
    const result = selectByAidCommand(ID_AID).parse(parseResponseApdu(SELECT_ID_RSP));
    expect(result.fci?.dfName).toEqual(ID_AID);
  });

  it('rejects an FCI naming another application', () => {
    const rsp = parseResponseApdu(Buffer.concat([EP_FCI, SW_9000]));
    expect(() => selectByAidCommand(ID_AID).parse(rsp)).toThrow(ResponseDataError);
  });

  it('rejects an FCI without A5 when selecting by AID', () => {
    const rsp = parseResponseApdu(fromHex('6F0A8408F043495459494401 9000'));
    expect(() => selectByAidCommand(ID_AID).parse(rsp)).toThrow(/A5/);
  });

  it('rejects a missing FCI when one was asked for, and data when none was', () => {
    expect(() => selectByAidCommand(ID_AID).parse(parseResponseApdu(SW_9000))).toThrow(ResponseDataError);
    expect(() => selectByAidCommand(ID_AID, { fci: false }).parse(parseResponseApdu(SELECT_ID_RSP))).toThrow(
      ResponseDataError,
    );
    expect(selectByAidCommand(ID_AID, { fci: false }).parse(parseResponseApdu(SW_9000))).toEqual({ fci: undefined, fcp: undefined });
    expect(() => selectByAidCommand(ID_AID).parse(parseResponseApdu(Buffer.concat([EF_0001_FCP, SW_9000])))).toThrow(
      ResponseDataError,
    );
  });

  it('by FID accepts an answer with an FCI, an EF\'s FCP 62, or nothing', () => {
    expect(selectByFidCommand(0x3f00).parse(parseResponseApdu(SW_9000))).toEqual({ fci: undefined, fcp: undefined });
    expect(selectByFidCommand(0x0001).parse(parseResponseApdu(Buffer.concat([EF_0001_FCP, SW_9000])))).toEqual({
      fci: undefined,
      fcp: EF_0001_FCP,
    });
    expect(() => selectByFidCommand(0x0001).parse(parseResponseApdu(fromHex('620A8002 9000')))).toThrow(ResponseDataError);
    expect(parseSelectResponse(parseResponseApdu(SELECT_ID_RSP), { fci: 'optional' }).fci?.dfName).toEqual(ID_AID);
  });

  it('refuses to parse a status word that carries no result', () => {
    expect(() => parseSelectResponse(parseResponseApdu(SW_6A82), { fci: true })).toThrow(ResponseDataError);
  });

  it('expects 6A82 and 6A81 as errors, and not 6282', () => {
    expect(findExpectedStatus(SELECT_STATUS, 0x9000)?.outcome).toBe('result');
    expect(findExpectedStatus(SELECT_STATUS, 0x6a82)).toMatchObject({ outcome: 'error', meaning: 'application or file not found' });
    expect(findExpectedStatus(SELECT_STATUS, 0x6a81)).toMatchObject({ outcome: 'error', meaning: 'application blocked' });
    expect(findExpectedStatus(SELECT_STATUS, 0x6282)).toBeUndefined();
  });
});
