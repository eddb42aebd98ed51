import { describe, expect, it } from 'vitest';
import {
  CARD_TYPE,
  type CardInfo,
  IdDataError,
  ProtocolError,
  TlvError,
  decodeCardInfo,
  encodeCardInfo,
  fromHex,
} from '@citycard/protocols';

// Spec §3 card info for the worked-example card (§8.2) under the test profile issuer (§7).
const CARD_INFO: CardInfo = {
  cardNumber: '1000000000000001',
  effectiveDate: '20261123',
  expiryDate: '20361122',
  cardType: CARD_TYPE.adult,
  issuerId: '0000000000000001',
};
const CARD_NUMBER_TLV = '5A08' + '1000000000000001';
const EFFECTIVE_TLV = '5F2504' + '20261123';
const EXPIRY_TLV = '5F2404' + '20361122';
const TYPE_TLV = 'C101' + '00';
const ISSUER_TLV = '4208' + '0000000000000001';
const CARD_INFO_E1 = fromHex('E125' + CARD_NUMBER_TLV + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + ISSUER_TLV);

/** Wrap children hex in an E1 template with the right length. */
function e1(childrenHex: string): Buffer {
  const body = fromHex(childrenHex);
  return Buffer.concat([Buffer.from([0xe1, body.length]), body]);
}

describe('card info E1', () => {
  it('encodes the exact spec bytes', () => {
    expect(encodeCardInfo(CARD_INFO)).toEqual(CARD_INFO_E1);
  });

  it('decodes the exact spec bytes', () => {
    expect(decodeCardInfo(CARD_INFO_E1)).toEqual(CARD_INFO);
  });

  it('round-trips every card type and an upper-case issuer id', () => {
    for (const cardType of Object.values(CARD_TYPE)) {
      const info: CardInfo = { ...CARD_INFO, cardType, issuerId: 'A1B2C3D4E5F60718' };
      expect(decodeCardInfo(encodeCardInfo(info))).toEqual(info);
    }
  });

  it('maps card type names to the C1 byte', () => {
    expect(CARD_TYPE).toEqual({ adult: 0, student: 1, senior: 2, concession: 3, floatingPopulation: 4 });
    expect(encodeCardInfo({ ...CARD_INFO, cardType: CARD_TYPE.floatingPopulation }).subarray(26, 29)).toEqual(
      fromHex('C10104'),
    );
  });

  it('decodes fields in another order', () => {
    const reordered = e1(ISSUER_TLV + TYPE_TLV + EXPIRY_TLV + EFFECTIVE_TLV + CARD_NUMBER_TLV);
    expect(decodeCardInfo(reordered)).toEqual(CARD_INFO);
  });

  it('yields an upper-case issuer id', () => {
    const bytes = e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + '4208ABCDEF0123456789');
    expect(decodeCardInfo(bytes).issuerId).toBe('ABCDEF0123456789');
  });

  it.each([
    ['wrong template tag', () => fromHex('E225' + CARD_INFO_E1.subarray(2).toString('hex')), undefined],
    ['missing card number', () => e1(EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + ISSUER_TLV), 'cardNumber'],
    ['missing issuer id', () => e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV), 'issuerId'],
    ['duplicated card type', () => e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + TYPE_TLV + ISSUER_TLV), 'cardType'],
    ['unknown tag', () => e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + ISSUER_TLV + 'C40100'), undefined],
    ['card number with a nibble A-F', () => e1('5A08100000000000000A' + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + ISSUER_TLV), 'cardNumber'],
    ['card number of 7 bytes', () => e1('5A0710000000000001' + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + ISSUER_TLV), 'cardNumber'],
    ['impossible effective date', () => e1(CARD_NUMBER_TLV + '5F250420260230' + EXPIRY_TLV + TYPE_TLV + ISSUER_TLV), 'effectiveDate'],
    ['expiry date of 3 bytes', () => e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + '5F2403203611' + TYPE_TLV + ISSUER_TLV), 'expiryDate'],
    ['expiry before effective', () => e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + '5F240420261122' + TYPE_TLV + ISSUER_TLV), 'expiryDate'],
    ['card type 05', () => e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + EXPIRY_TLV + 'C10105' + ISSUER_TLV), 'cardType'],
    ['card type of 2 bytes', () => e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + EXPIRY_TLV + 'C1020000' + ISSUER_TLV), 'cardType'],
    ['issuer id of 9 bytes', () => e1(CARD_NUMBER_TLV + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + '4209' + '000000000000000001'), 'issuerId'],
  ])('rejects %s with an IdDataError', (_name, make, field) => {
    try {
      decodeCardInfo(make());
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(IdDataError);
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as IdDataError).field).toBe(field);
    }
  });

  it('keeps the BCD error as the cause', () => {
    try {
      decodeCardInfo(e1('5A08100000000000000A' + EFFECTIVE_TLV + EXPIRY_TLV + TYPE_TLV + ISSUER_TLV));
      expect.unreachable();
    } catch (err) {
      expect((err as Error).cause).toBeInstanceOf(ProtocolError);
    }
  });

  it.each([
    ['truncated template', CARD_INFO_E1.subarray(0, 20)],
    ['bytes after the template', Buffer.concat([CARD_INFO_E1, fromHex('00')])],
    ['empty input', Buffer.alloc(0)],
  ])('rejects %s with a TlvError', (_name, bytes) => {
    expect(() => decodeCardInfo(bytes)).toThrow(TlvError);
  });

  it.each([
    ['a 15-digit card number', { cardNumber: '100000000000001' }, 'cardNumber'],
    ['a card number with a letter', { cardNumber: '100000000000000A' }, 'cardNumber'],
    ['an impossible effective date', { effectiveDate: '20261301' }, 'effectiveDate'],
    ['an expiry before the effective date', { expiryDate: '20251231' }, 'expiryDate'],
    ['card type 7', { cardType: 7 }, 'cardType'],
    ['an issuer id of 7 bytes', { issuerId: '00000000000001' }, 'issuerId'],
    ['an issuer id with a non-hex digit', { issuerId: '000000000000000G' }, 'issuerId'],
  ])('refuses to encode %s', (_name, patch, field) => {
    const info = { ...CARD_INFO, ...patch } as CardInfo;
    expect(() => encodeCardInfo(info)).toThrow(IdDataError);
    try {
      encodeCardInfo(info);
    } catch (err) {
      expect((err as IdDataError).field).toBe(field);
    }
  });
});
