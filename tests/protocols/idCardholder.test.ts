import { describe, expect, it } from 'vitest';
import {
  type Cardholder,
  IdDataError,
  ProtocolError,
  TlvError,
  decodeCardholder,
  encodeCardholder,
  fromHex,
} from '@citycard/protocols';

const CARDHOLDER: Cardholder = {
  name: '张三',
  citizenId: '11010519491231002X',
  dateOfBirth: '19491231',
  residency: 'permanent',
};
const NAME_TLV = '5F2006' + 'E5BCA0E4B889';
const CITIZEN_ID_TLV = 'C212' + '313130313035313934393132333130303258';
const DOB_TLV = '5F2B04' + '19491231';
const RESIDENCY_TLV = 'C301' + '00';
const CARDHOLDER_E2 = fromHex('E227' + NAME_TLV + CITIZEN_ID_TLV + DOB_TLV + RESIDENCY_TLV);

function e2(childrenHex: string): Buffer {
  const body = fromHex(childrenHex);
  return Buffer.concat([Buffer.from([0xe2, body.length]), body]);
}

describe('cardholder E2', () => {
  it('encodes the exact spec bytes', () => {
    expect(encodeCardholder(CARDHOLDER)).toEqual(CARDHOLDER_E2);
  });

  it('decodes the exact spec bytes', () => {
    expect(decodeCardholder(CARDHOLDER_E2)).toEqual(CARDHOLDER);
  });

  it('encodes temporary residency as C3 01', () => {
    const bytes = encodeCardholder({ ...CARDHOLDER, residency: 'temporary' });
    expect(bytes.subarray(-3)).toEqual(fromHex('C30101'));
    expect(decodeCardholder(bytes).residency).toBe('temporary');
  });

  it('round-trips a long Latin name with a two-byte length', () => {
    const holder: Cardholder = { ...CARDHOLDER, name: 'Ana María ' + 'x'.repeat(140), citizenId: 'P1234567' };
    const bytes = encodeCardholder(holder);
    expect(bytes.subarray(0, 2)).toEqual(fromHex('E281'));
    expect(decodeCardholder(bytes)).toEqual(holder);
  });

  it('decodes fields in another order', () => {
    expect(decodeCardholder(e2(RESIDENCY_TLV + DOB_TLV + CITIZEN_ID_TLV + NAME_TLV))).toEqual(CARDHOLDER);
  });

  it.each([
    ['wrong template tag', () => fromHex('E127' + CARDHOLDER_E2.subarray(2).toString('hex')), undefined],
    ['missing name', () => e2(CITIZEN_ID_TLV + DOB_TLV + RESIDENCY_TLV), 'name'],
    ['missing residency', () => e2(NAME_TLV + CITIZEN_ID_TLV + DOB_TLV), 'residency'],
    ['duplicated citizen ID', () => e2(NAME_TLV + CITIZEN_ID_TLV + CITIZEN_ID_TLV + DOB_TLV + RESIDENCY_TLV), 'citizenId'],
    ['unknown tag', () => e2(NAME_TLV + CITIZEN_ID_TLV + DOB_TLV + RESIDENCY_TLV + '5A0100'), undefined],
    ['invalid UTF-8 name', () => e2('5F2002C328' + CITIZEN_ID_TLV + DOB_TLV + RESIDENCY_TLV), 'name'],
    ['empty name', () => e2('5F2000' + CITIZEN_ID_TLV + DOB_TLV + RESIDENCY_TLV), 'name'],
    ['name with a control character', () => e2('5F2003410A42' + CITIZEN_ID_TLV + DOB_TLV + RESIDENCY_TLV), 'name'],
    ['citizen ID with a space', () => e2(NAME_TLV + 'C2034120' + '42' + DOB_TLV + RESIDENCY_TLV), 'citizenId'],
    ['citizen ID with a non-ASCII byte', () => e2(NAME_TLV + 'C20241C3' + DOB_TLV + RESIDENCY_TLV), 'citizenId'],
    ['date of birth with a nibble A-F', () => e2(NAME_TLV + CITIZEN_ID_TLV + '5F2B041949123A' + RESIDENCY_TLV), 'dateOfBirth'],
    ['impossible date of birth', () => e2(NAME_TLV + CITIZEN_ID_TLV + '5F2B0419490229' + RESIDENCY_TLV), 'dateOfBirth'],
    ['residency 02', () => e2(NAME_TLV + CITIZEN_ID_TLV + DOB_TLV + 'C30102'), 'residency'],
    ['residency of 2 bytes', () => e2(NAME_TLV + CITIZEN_ID_TLV + DOB_TLV + 'C3020000'), 'residency'],
  ])('rejects %s with an IdDataError', (_name, make, field) => {
    try {
      decodeCardholder(make());
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(IdDataError);
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as IdDataError).field).toBe(field);
    }
  });

  it('rejects a truncated template with a TlvError', () => {
    expect(() => decodeCardholder(CARDHOLDER_E2.subarray(0, 10))).toThrow(TlvError);
  });

  it.each([
    ['an empty name', { name: '' }, 'name'],
    ['a name over 255 bytes', { name: '张'.repeat(86) }, 'name'],
    ['a name with a lone surrogate', { name: 'A\ud800' }, 'name'],
    ['an empty citizen ID', { citizenId: '' }, 'citizenId'],
    ['a citizen ID of 33 characters', { citizenId: '1'.repeat(33) }, 'citizenId'],
    ['a non-ASCII citizen ID', { citizenId: '11010519491231002Ⅹ' }, 'citizenId'],
    ['an impossible date of birth', { dateOfBirth: '19490229' }, 'dateOfBirth'],
    ['an unknown residency', { residency: 'visitor' }, 'residency'],
  ])('refuses to encode %s', (_name, patch, field) => {
    const holder = { ...CARDHOLDER, ...patch } as Cardholder;
    try {
      encodeCardholder(holder);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(IdDataError);
      expect((err as IdDataError).field).toBe(field);
    }
  });

  it('accepts a name of exactly 255 UTF-8 bytes', () => {
    const holder = { ...CARDHOLDER, name: '张'.repeat(85) };
    expect(decodeCardholder(encodeCardholder(holder))).toEqual(holder);
  });
});
