import { describe, expect, it } from 'vitest';
import { fromHex, toHex, xor } from '../../protocols/src/bytes.js';
import { desEcbDecrypt, desEcbEncrypt } from '../../protocols/src/crypto/des.js';
import { PaddingError } from '../../protocols/src/crypto/errors.js';
import {
  macAlgorithm1,
  macAlgorithm3,
  padMethod1,
  padMethod2,
  unpadMethod2,
} from '../../protocols/src/crypto/iso9797.js';

// ISO/IEC 9797-1 Annex B: K = 0123456789ABCDEF, K' = FEDCBA9876543210.
const K = fromHex('0123456789ABCDEF');
const K_PRIME = fromHex('FEDCBA9876543210');
const K_KPRIME = Buffer.concat([K, K_PRIME]);
const STRING1 = Buffer.from('Now is the time for all ', 'ascii'); // 24 bytes
const STRING2 = Buffer.from('Now is the time for it', 'ascii'); // 22 bytes

const ALG1_S1_M1 = fromHex('70A30640CC76DD8B');
const ALG1_S1_M2_4 = fromHex('10E1F0F1');
const ALG1_S2_M1_4 = fromHex('E45B3AD2');
const ALG1_S2_M2_4 = fromHex('A924C721');
const ALG3_S1_M1 = fromHex('A1C72E74EA3FA9B6');
const ALG3_S1_M2 = fromHex('E9086230CA3BE796');
const ALG3_S2_M1 = fromHex('2E2B1428CC78254F');
const ALG3_S2_M2 = fromHex('5A692CE64F404145');

// FIPS 81 CBC example: the last ciphertext block is the CBC-MAC with that IV as ICV.
const FIPS81_IV = fromHex('1234567890ABCDEF');
const FIPS81_LAST_BLOCK = fromHex('683788499A7C05F6');

/** Reference CBC-MAC written block by block with ECB only. */
function referenceCbcMac(key: Uint8Array, padded: Uint8Array, icv: Uint8Array): Buffer {
  let h: Buffer = Buffer.from(icv);
  for (let i = 0; i < padded.length; i += 8) h = desEcbEncrypt(key, xor(h, padded.subarray(i, i + 8)));
  return h;
}

describe('padding', () => {
  it('method 1 pads with zeros to a multiple of 8', () => {
    expect(toHex(padMethod1(fromHex('0102030405')))).toBe('0102030405000000');
    expect(toHex(padMethod1(fromHex('0102030405060708')))).toBe('0102030405060708');
    expect(toHex(padMethod1(new Uint8Array(0)))).toBe('0000000000000000');
  });

  it('method 2 always adds 80 then zeros', () => {
    expect(toHex(padMethod2(fromHex('0102030405')))).toBe('0102030405800000');
    expect(toHex(padMethod2(fromHex('01020304050607')))).toBe('0102030405060780');
    expect(toHex(padMethod2(fromHex('0102030405060708')))).toBe('01020304050607088000000000000000');
    expect(toHex(padMethod2(new Uint8Array(0)))).toBe('8000000000000000');
  });

  it('method 2 round-trips through the strict unpad for every length 0 to 17', () => {
    for (let n = 0; n <= 17; n++) {
      const data = Buffer.alloc(n, 0x80);
      expect(toHex(unpadMethod2(padMethod2(data)))).toBe(toHex(data));
    }
  });

  it('unpad rejects a missing marker, a non-zero filler, and bad lengths', () => {
    expect(() => unpadMethod2(fromHex('0102030405060700'))).toThrow(PaddingError);
    expect(() => unpadMethod2(fromHex('0102030480000100'))).toThrow(PaddingError);
    // A marker outside the last block is not padding.
    expect(() => unpadMethod2(fromHex('0102030405060780 0000000000000000'))).toThrow(PaddingError);
    expect(() => unpadMethod2(new Uint8Array(0))).toThrow(PaddingError);
    expect(() => unpadMethod2(fromHex('01028000'))).toThrow(PaddingError);
  });

  it('does not modify its input', () => {
    const data = fromHex('010203');
    padMethod1(data);
    padMethod2(data);
    expect(toHex(data)).toBe('010203');
  });
});

describe('MAC algorithm 1', () => {
  it('matches ISO/IEC 9797-1 Annex B', () => {
    expect(toHex(macAlgorithm1(K, STRING1, { padding: 1 }))).toBe(toHex(ALG1_S1_M1));
    expect(toHex(macAlgorithm1(K, STRING1, { padding: 2, length: 4 }))).toBe(toHex(ALG1_S1_M2_4));
    expect(toHex(macAlgorithm1(K, STRING2, { padding: 1, length: 4 }))).toBe(toHex(ALG1_S2_M1_4));
    expect(toHex(macAlgorithm1(K, STRING2, { length: 4 }))).toBe(toHex(ALG1_S2_M2_4));
  });

  it('with an ICV equals the last block of the FIPS 81 CBC example', () => {
    expect(toHex(macAlgorithm1(K, STRING1, { padding: 'none', icv: FIPS81_IV }))).toBe(toHex(FIPS81_LAST_BLOCK));
  });

  it('equals a block-by-block ECB computation, with and without ICV', () => {
    const icv = fromHex('A1B2C3D400000000');
    const key3 = fromHex('0123456789ABCDEFFEDCBA987654321089ABCDEF01234567');
    for (const key of [K, K_KPRIME, key3]) {
      expect(toHex(macAlgorithm1(key, STRING2))).toBe(toHex(referenceCbcMac(key, padMethod2(STRING2), new Uint8Array(8))));
      expect(toHex(macAlgorithm1(key, STRING2, { icv }))).toBe(toHex(referenceCbcMac(key, padMethod2(STRING2), icv)));
    }
  });

  it('with a 3DES key K||K equals single-DES K', () => {
    expect(toHex(macAlgorithm1(Buffer.concat([K, K]), STRING2))).toBe(toHex(macAlgorithm1(K, STRING2)));
  });

  it('truncates to the leftmost bytes', () => {
    expect(toHex(macAlgorithm1(K, STRING1, { padding: 1, length: 4 }))).toBe('70A30640');
    expect(toHex(macAlgorithm1(K, STRING1, { padding: 1, length: 1 }))).toBe('70');
  });

  it('rejects bad options and unaligned data without padding', () => {
    expect(() => macAlgorithm1(K, STRING1, { length: 0 })).toThrow(RangeError);
    expect(() => macAlgorithm1(K, STRING1, { length: 9 })).toThrow(RangeError);
    expect(() => macAlgorithm1(K, STRING1, { icv: new Uint8Array(4) })).toThrow(RangeError);
    expect(() => macAlgorithm1(K, STRING2, { padding: 'none' })).toThrow(RangeError);
    expect(() => macAlgorithm1(K, new Uint8Array(0), { padding: 'none' })).toThrow(RangeError);
    expect(() => macAlgorithm1(new Uint8Array(12), STRING1)).toThrow(RangeError);
  });
});

describe('MAC algorithm 3 (retail MAC)', () => {
  it('matches ISO/IEC 9797-1 Annex B', () => {
    expect(toHex(macAlgorithm3(K_KPRIME, STRING1, { padding: 1 }))).toBe(toHex(ALG3_S1_M1));
    expect(toHex(macAlgorithm3(K_KPRIME, STRING1))).toBe(toHex(ALG3_S1_M2));
    expect(toHex(macAlgorithm3(K_KPRIME, STRING2, { padding: 1 }))).toBe(toHex(ALG3_S2_M1));
    expect(toHex(macAlgorithm3(K_KPRIME, STRING2, { padding: 2 }))).toBe(toHex(ALG3_S2_M2));
  });

  it('equals MAC algorithm 1 under K followed by D(K\') and E(K)', () => {
    const icv = fromHex('1122334400000000');
    const h = macAlgorithm1(K, STRING2, { icv });
    const expected = desEcbEncrypt(K, desEcbDecrypt(K_PRIME, h));
    expect(toHex(macAlgorithm3(K_KPRIME, STRING2, { icv }))).toBe(toHex(expected));
  });

  it('equals MAC algorithm 1 when K = K\'', () => {
    const icv = fromHex('0102030400000000');
    const kk = Buffer.concat([K, K]);
    for (const data of [new Uint8Array(0), fromHex('84 1E 00 00 04'), STRING1, STRING2]) {
      expect(toHex(macAlgorithm3(kk, data, { icv }))).toBe(toHex(macAlgorithm1(K, data, { icv })));
    }
  });

  it('handles a single block with an ICV', () => {
    const icv = fromHex('0102030400000000');
    const block = padMethod2(fromHex('841E000004'));
    const expected = desEcbEncrypt(K, desEcbDecrypt(K_PRIME, desEcbEncrypt(K, xor(icv, block))));
    expect(toHex(macAlgorithm3(K_KPRIME, fromHex('841E000004'), { icv, length: 4 }))).toBe(toHex(expected.subarray(0, 4)));
  });

  it('rejects a key that is not 16 bytes', () => {
    expect(() => macAlgorithm3(K, STRING1)).toThrow(RangeError);
    expect(() => macAlgorithm3(new Uint8Array(24), STRING1)).toThrow(RangeError);
  });
});
