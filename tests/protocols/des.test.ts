import { describe, expect, it } from 'vitest';
import { fromHex, toHex, xor } from '../../protocols/src/bytes.js';
import {
  desCbcDecrypt,
  desCbcEncrypt,
  desEcbDecrypt,
  desEcbEncrypt,
  keyCheckValue,
} from '../../protocols/src/crypto/des.js';

// FIPS 81 appendix examples: "Now is the time for all " under a single DES key.
const FIPS81_KEY = fromHex('0123456789ABCDEF');
const FIPS81_IV = fromHex('1234567890ABCDEF');
const FIPS81_PLAIN = Buffer.from('Now is the time for all ', 'ascii');
const FIPS81_ECB = fromHex('3FA40E8A984D4815 6A271787AB8883F9 893D51EC4B563B53');
const FIPS81_CBC = fromHex('E5C7CDDE872BF27C 43E934008C389C0F 683788499A7C05F6');

// The textbook DES example (key 133457799BBCDFF1).
const TEXTBOOK_KEY = fromHex('133457799BBCDFF1');
const TEXTBOOK_PLAIN = fromHex('0123456789ABCDEF');
const TEXTBOOK_CIPHER = fromHex('85E813540F0AB405');

const K1 = fromHex('0123456789ABCDEF');
const K2 = fromHex('FEDCBA9876543210');
const K3 = fromHex('89ABCDEF01234567');
const BLOCK = fromHex('4E6F772069732074');

describe('single DES', () => {
  it('encrypts the FIPS 81 ECB example', () => {
    expect(toHex(desEcbEncrypt(FIPS81_KEY, FIPS81_PLAIN))).toBe(toHex(FIPS81_ECB));
  });

  it('decrypts the FIPS 81 ECB example', () => {
    expect(desEcbDecrypt(FIPS81_KEY, FIPS81_ECB).toString('ascii')).toBe('Now is the time for all ');
  });

  it('encrypts and decrypts the FIPS 81 CBC example', () => {
    expect(toHex(desCbcEncrypt(FIPS81_KEY, FIPS81_PLAIN, FIPS81_IV))).toBe(toHex(FIPS81_CBC));
    expect(desCbcDecrypt(FIPS81_KEY, FIPS81_CBC, FIPS81_IV).toString('ascii')).toBe('Now is the time for all ');
  });

  it('encrypts the textbook example', () => {
    expect(toHex(desEcbEncrypt(TEXTBOOK_KEY, TEXTBOOK_PLAIN))).toBe(toHex(TEXTBOOK_CIPHER));
  });

  it('CBC with a zero IV by default equals chained ECB', () => {
    const first = desEcbEncrypt(K1, FIPS81_PLAIN.subarray(0, 8));
    const second = desEcbEncrypt(K1, xor(FIPS81_PLAIN.subarray(8, 16), first));
    expect(toHex(desCbcEncrypt(K1, FIPS81_PLAIN.subarray(0, 16)))).toBe(toHex(first) + toHex(second));
  });
});

describe('triple DES', () => {
  it('2-key 3DES equals E(K1) D(K2) E(K1) with single DES', () => {
    const expected = desEcbEncrypt(K1, desEcbDecrypt(K2, desEcbEncrypt(K1, BLOCK)));
    expect(toHex(desEcbEncrypt(Buffer.concat([K1, K2]), BLOCK))).toBe(toHex(expected));
  });

  it('3-key 3DES equals E(K3) D(K2) E(K1) with single DES', () => {
    const expected = desEcbEncrypt(K3, desEcbDecrypt(K2, desEcbEncrypt(K1, BLOCK)));
    expect(toHex(desEcbEncrypt(Buffer.concat([K1, K2, K3]), BLOCK))).toBe(toHex(expected));
  });

  it('a 2-key 3DES key K||K behaves as single DES K', () => {
    expect(toHex(desEcbEncrypt(Buffer.concat([K1, K1]), FIPS81_PLAIN))).toBe(toHex(FIPS81_ECB));
  });

  it('round-trips ECB and CBC for every key length', () => {
    const data = fromHex('00112233445566778899AABBCCDDEEFF0123456789ABCDEF');
    for (const key of [K1, Buffer.concat([K1, K2]), Buffer.concat([K1, K2, K3])]) {
      expect(toHex(desEcbDecrypt(key, desEcbEncrypt(key, data)))).toBe(toHex(data));
      expect(toHex(desCbcDecrypt(key, desCbcEncrypt(key, data, FIPS81_IV), FIPS81_IV))).toBe(toHex(data));
    }
  });

  it('accepts empty data', () => {
    expect(desEcbEncrypt(K1, new Uint8Array(0)).length).toBe(0);
  });

  it('does not modify its inputs', () => {
    const key = Buffer.concat([K1, K2]);
    const data = Buffer.from(BLOCK);
    desCbcEncrypt(key, data, FIPS81_IV);
    expect(toHex(key)).toBe(toHex(Buffer.concat([K1, K2])));
    expect(toHex(data)).toBe(toHex(BLOCK));
    expect(toHex(FIPS81_IV)).toBe('1234567890ABCDEF');
  });
});

describe('key check value', () => {
  it('is the leftmost 3 bytes of E(K, 0) by default', () => {
    expect(toHex(keyCheckValue(fromHex('0123456789ABCDEFFEDCBA9876543210')))).toBe('08D7B4');
  });

  it('of the zero DES key is the known E(0, 0)', () => {
    expect(toHex(keyCheckValue(fromHex('0000000000000000'), 8))).toBe('8CA64DE9C1B123A7');
  });

  it('rejects a length outside 1 to 8', () => {
    expect(() => keyCheckValue(K1, 0)).toThrow(RangeError);
    expect(() => keyCheckValue(K1, 9)).toThrow(RangeError);
  });
});

describe('argument checks', () => {
  it('rejects keys that are not 8, 16 or 24 bytes', () => {
    for (const n of [0, 7, 9, 15, 17, 23, 25, 32]) {
      expect(() => desEcbEncrypt(new Uint8Array(n), BLOCK)).toThrow(RangeError);
    }
  });

  it('rejects data that is not a multiple of 8 bytes', () => {
    expect(() => desEcbEncrypt(K1, new Uint8Array(7))).toThrow(RangeError);
    expect(() => desEcbDecrypt(K1, new Uint8Array(9))).toThrow(RangeError);
    expect(() => desCbcEncrypt(K1, new Uint8Array(15))).toThrow(RangeError);
    expect(() => desCbcDecrypt(K1, new Uint8Array(1))).toThrow(RangeError);
  });

  it('rejects an IV that is not 8 bytes', () => {
    expect(() => desCbcEncrypt(K1, BLOCK, new Uint8Array(7))).toThrow(RangeError);
    expect(() => desCbcDecrypt(K1, BLOCK, new Uint8Array(16))).toThrow(RangeError);
  });
});
