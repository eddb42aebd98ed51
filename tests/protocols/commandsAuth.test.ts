import { describe, expect, it } from 'vitest';
import {
  AUTH_MODE,
  type AuthMode,
  CommandParameterError,
  INTERNAL_AUTHENTICATE_STATUS,
  ResponseDataError,
  authSignedMessage,
  encodeGetChallenge,
  encodeInternalAuthenticate,
  findExpectedStatus,
  fromHex,
  getChallengeCommand,
  internalAuthenticateCommand,
  parseInternalAuthenticateResponse,
  parseResponseApdu,
  type ChallengeLength,
} from '@citycard/protocols';

const GET_CHALLENGE_4_CMD = fromHex('0084000004');
const GET_CHALLENGE_8_CMD = fromHex('0084000008');
const CHALLENGE_4_RSP = fromHex('A1B2C3D4 9000');
const CHALLENGE_16 = fromHex('000102030405060708090A0B0C0D0E0F');
const INT_AUTH_CARD_CMD = fromHex('00880001 10 000102030405060708090A0B0C0D0E0F 00');
const INT_AUTH_HOLDER_CMD = fromHex('00880002 10 000102030405060708090A0B0C0D0E0F 00');
const SIGNED_CARD_MESSAGE = fromHex('43495459434152442D41555448' + '01' + '000102030405060708090A0B0C0D0E0F');
const SIGNATURE_256 = Buffer.alloc(256, 0x5a);

describe('GET CHALLENGE', () => {
  it('encodes Le 04 and 08', () => {
    expect(encodeGetChallenge()).toEqual(GET_CHALLENGE_4_CMD);
    expect(encodeGetChallenge(8)).toEqual(GET_CHALLENGE_8_CMD);
    expect(getChallengeCommand(8).apdu).toEqual(GET_CHALLENGE_8_CMD);
  });

  it('refuses other lengths', () => {
    expect(() => encodeGetChallenge(6 as ChallengeLength)).toThrow(CommandParameterError);
  });

  it('parses exactly Le random bytes', () => {
    expect(getChallengeCommand(4).parse(parseResponseApdu(CHALLENGE_4_RSP))).toEqual(fromHex('A1B2C3D4'));
    expect(() => getChallengeCommand(8).parse(parseResponseApdu(CHALLENGE_4_RSP))).toThrow(ResponseDataError);
  });
});

describe('INTERNAL AUTHENTICATE', () => {
  it('encodes card and cardholder authentication with Le 00', () => {
    expect(encodeInternalAuthenticate(AUTH_MODE.card, CHALLENGE_16)).toEqual(INT_AUTH_CARD_CMD);
    expect(internalAuthenticateCommand(AUTH_MODE.cardholder, CHALLENGE_16).apdu).toEqual(INT_AUTH_HOLDER_CMD);
  });

  it('accepts challenges of 16 to 64 bytes only', () => {
    expect(encodeInternalAuthenticate(AUTH_MODE.card, Buffer.alloc(64)).length).toBe(5 + 64 + 1);
    expect(() => encodeInternalAuthenticate(AUTH_MODE.card, Buffer.alloc(15))).toThrow(CommandParameterError);
    expect(() => encodeInternalAuthenticate(AUTH_MODE.card, Buffer.alloc(65))).toThrow(CommandParameterError);
    expect(() => encodeInternalAuthenticate(0x03 as AuthMode, CHALLENGE_16)).toThrow(CommandParameterError);
  });

  it('builds the signed message "CITYCARD-AUTH" ‖ P2 ‖ challenge', () => {
    expect(authSignedMessage(AUTH_MODE.card, CHALLENGE_16)).toEqual(SIGNED_CARD_MESSAGE);
    expect(authSignedMessage(AUTH_MODE.cardholder, CHALLENGE_16)[13]).toBe(0x02);
    expect(() => authSignedMessage(AUTH_MODE.card, Buffer.alloc(8))).toThrow(CommandParameterError);
  });

  it('parses a 256-byte signature only', () => {
    const rsp = parseResponseApdu(Buffer.concat([SIGNATURE_256, fromHex('9000')]));
    expect(parseInternalAuthenticateResponse(rsp)).toEqual(SIGNATURE_256);
    const short = parseResponseApdu(Buffer.concat([SIGNATURE_256.subarray(0, 128), fromHex('9000')]));
    expect(() => parseInternalAuthenticateResponse(short)).toThrow(ResponseDataError);
  });

  it('expects 6982 (PIN not verified) as an error', () => {
    expect(findExpectedStatus(INTERNAL_AUTHENTICATE_STATUS, 0x6982)?.outcome).toBe('error');
  });
});
