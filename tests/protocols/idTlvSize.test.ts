import { describe, expect, it } from 'vitest';
import { TlvError, fromHex, tlvObjectSize } from '@citycard/protocols';

const CERT_HEAD = fromHex('3082036B3082'); // DER certificate of 875 + 4 bytes
const CARD_INFO_HEAD = fromHex('E1255A08');
const LONG_81_HEAD = fromHex('E281A0');
const TAG_5F20_HEAD = fromHex('5F2006E5');

describe('tlvObjectSize', () => {
  it('reads the total size from the header', () => {
    expect(tlvObjectSize(CERT_HEAD)).toBe(879);
    expect(tlvObjectSize(CARD_INFO_HEAD)).toBe(2 + 0x25);
    expect(tlvObjectSize(LONG_81_HEAD)).toBe(3 + 0xa0);
    expect(tlvObjectSize(TAG_5F20_HEAD)).toBe(3 + 6);
  });

  it('needs more bytes when the header is cut', () => {
    for (const head of [fromHex(''), fromHex('30'), fromHex('3082'), fromHex('308203'), fromHex('5F')]) {
      expect(tlvObjectSize(head)).toBeUndefined();
    }
  });

  it.each([
    ['filler FF', 'FFFF'],
    ['filler 00', '0000'],
    ['indefinite length', '3080'],
    ['length on 5 bytes', '30850000000001'],
    ['non-minimal length', '30810A'],
    ['tag over 4 bytes', '5F8181818101'],
  ])('rejects %s', (_name, hex) => {
    expect(() => tlvObjectSize(fromHex(hex))).toThrow(TlvError);
  });
});
