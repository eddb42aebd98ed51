import { describe, expect, it } from 'vitest';
import { TlvError, decodeSingleTlv, decodeTlv, encodeTlv, findTlv, fromHex, tagBytes, tagIsConstructed, tlv } from '@citycard/protocols';

// FCI of the EP application as the spec describes it: 6F { 84 AID, A5 { 9F0C 30 bytes } }.
const EF15 = fromHex('0000000000000001' + '02' + '01' + '1000000000000001' + '20261123' + '20361122' + '00' + '000000');
const EP_FCI = fromHex('6F' + '2D' + '8408F043495459455001' + 'A5' + '21' + '9F0C1E' + EF15.toString('hex'));
const LONG_130 = fromHex('C1' + '8182' + 'AB'.repeat(130));
const LONG_300 = fromHex('C2' + '82012C' + 'CD'.repeat(300));

describe('BER-TLV decode', () => {
  it('decodes nested constructed objects with multi-byte tags', () => {
    const [fci] = decodeTlv(EP_FCI);
    expect(fci!.tag).toBe(0x6f);
    expect(fci!.children!.map((c) => c.tag)).toEqual([0x84, 0xa5]);
    expect(findTlv([fci!], 0x84)!.value).toEqual(fromHex('F043495459455001'));
    expect(findTlv([fci!], 0x9f0c)!.value).toEqual(EF15);
  });

  it('decodes long lengths on one and two bytes', () => {
    expect(decodeSingleTlv(LONG_130).value.length).toBe(130);
    const t = decodeSingleTlv(LONG_300);
    expect(t.tag).toBe(0xc2);
    expect(t.value.length).toBe(300);
  });

  it.each([
    ['truncated value', '5A0812345678'],
    ['truncated long length', 'C182'],
    ['missing length', '5F'],
    ['truncated multi-byte tag', '5F'],
    ['bytes after the last object', '5A0100' + 'FF'],
    ['indefinite length', '6F80'],
    ['non-minimal length 81 05', '5A810512345678AA'],
    ['length on 5 bytes', '5A850000000001AA'],
    ['child overruns its parent', 'E1035A0512'],
    ['filler 00 between objects', '5A0101' + '00' + '5A0102'],
    ['leading zero in tag number', '5F8020' + '00'],
    ['tag longer than 4 bytes', '5F818181810100'],
  ])('rejects %s with a TlvError', (_name, hex) => {
    expect(() => decodeTlv(fromHex(hex))).toThrow(TlvError);
  });

  it('reports the failing offset', () => {
    try {
      decodeTlv(fromHex('5A01AA' + 'C2820100'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TlvError);
      expect((err as TlvError).offset).toBe(4);
    }
  });

  it('refuses nesting deeper than 16 levels instead of overflowing the stack', () => {
    let bytes = fromHex('8000');
    for (let i = 0; i < 40; i++) bytes = encodeTlv(0xe1, bytes);
    expect(() => decodeTlv(bytes)).toThrow(TlvError);
  });
});

describe('BER-TLV encode', () => {
  it('encodes the FCI to the exact bytes', () => {
    const fci = encodeTlv(0x6f, [tlv(0x84, fromHex('F043495459455001')), tlv(0xa5, [tlv(0x9f0c, EF15)])]);
    expect(fci).toEqual(EP_FCI);
  });

  it('uses the minimal length form', () => {
    expect(encodeTlv(0xc1, Buffer.alloc(130, 0xab))).toEqual(LONG_130);
    expect(encodeTlv(0xc2, Buffer.alloc(300, 0xcd))).toEqual(LONG_300);
    expect(encodeTlv(0x5a, Buffer.alloc(0))).toEqual(fromHex('5A00'));
  });

  it('round-trips', () => {
    for (const bytes of [EP_FCI, LONG_130, LONG_300]) {
      const [item] = decodeTlv(bytes);
      expect(encodeTlv(item!.tag, item!.children ?? item!.value)).toEqual(bytes);
    }
  });

  it('knows tag classes and refuses malformed tag numbers', () => {
    expect(tagBytes(0x5f20)).toEqual(fromHex('5F20'));
    expect(tagBytes(0x9f0c)).toEqual(fromHex('9F0C'));
    expect(tagIsConstructed(0xe1)).toBe(true);
    expect(tagIsConstructed(0x5a)).toBe(false);
    expect(() => tagBytes(0x5f)).toThrow(RangeError);
    expect(() => tagBytes(0x1f80)).toThrow(RangeError);
    expect(() => tagBytes(0x5a20)).toThrow(RangeError);
  });
});
