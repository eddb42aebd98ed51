import { describe, expect, it } from 'vitest';
import { concat, equalBytes, fromHex, readUintBE, toHex, uintBE, xor } from '@citycard/protocols';

describe('byte helpers', () => {
  it('parses and prints hex', () => {
    expect(fromHex('00 a4 04 00')).toEqual(Buffer.from([0, 0xa4, 4, 0]));
    expect(toHex(Buffer.from([0xf0, 0x43]))).toBe('F043');
    expect(() => fromHex('ABC')).toThrow(TypeError);
    expect(() => fromHex('GG')).toThrow(TypeError);
  });

  it('encodes big-endian integers and refuses what does not fit', () => {
    expect(uintBE(250, 4)).toEqual(fromHex('000000FA'));
    expect(uintBE(0xffff, 2)).toEqual(fromHex('FFFF'));
    expect(readUintBE(fromHex('00002710'), 0, 4)).toBe(10000);
    expect(() => uintBE(0x10000, 2)).toThrow(RangeError);
    expect(() => uintBE(-1, 4)).toThrow(RangeError);
  });

  it('xors, concatenates and compares', () => {
    expect(xor(fromHex('BD1FFE3A509BADFD'), fromHex('0B97BAF5C21945EB'))).toEqual(fromHex('B68844CF9282E816'));
    expect(concat(fromHex('01'), fromHex('0203'))).toEqual(fromHex('010203'));
    expect(equalBytes(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(equalBytes(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(equalBytes(fromHex('0102'), fromHex('01'))).toBe(false);
  });
});
