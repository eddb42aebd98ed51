import { describe, expect, it } from 'vitest';
import { buildAtr, CITYCARD_HISTORICAL_BYTES, hasValidTck, MemoryStore, VirtualCard, idApplication } from '@citycard/card-os';
import { fromHex } from '@citycard/protocols';

// 3B 8A 80 01 | 80 58 "CITYCARD" | TCK = XOR(8A .. 44) = C0
const CITYCARD_ATR = fromHex('3B 8A 80 01 80 58 43 49 54 59 43 41 52 44 C0');
// A PC/SC part 3 storage-card ATR (MIFARE Classic 1K), as a known-good TCK reference.
const MIFARE_1K_ATR = fromHex('3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A');

describe('ATR', () => {
  it('is 3B 8n 80 01 <historical bytes> TCK with the CityCard historical bytes', () => {
    expect(buildAtr()).toEqual(CITYCARD_ATR);
    expect(CITYCARD_HISTORICAL_BYTES).toEqual(fromHex('80 58 43 49 54 59 43 41 52 44'));
  });

  it('does not put 4F at byte 5 (nfc-pcsc would take the card for a storage card)', () => {
    expect(CITYCARD_ATR[5]).not.toBe(0x4f);
    expect(() => buildAtr(fromHex('80 4F 0C A0 00 00 03 06'))).toThrow(RangeError);
  });

  it('has a TCK that the checker accepts, and any damaged byte is caught', () => {
    expect(hasValidTck(CITYCARD_ATR)).toBe(true);
    expect(hasValidTck(MIFARE_1K_ATR)).toBe(true);
    for (let i = 1; i < CITYCARD_ATR.length; i++) {
      const bad = Buffer.from(CITYCARD_ATR);
      bad[i]! ^= 0x01;
      expect(hasValidTck(bad), `byte ${i}`).toBe(false);
    }
    expect(hasValidTck(fromHex('3B'))).toBe(false);
  });

  it('computes the TCK for other historical bytes (1 to 15 of them)', () => {
    const atr = buildAtr(fromHex('80 5F'));
    expect(atr).toEqual(fromHex('3B 82 80 01 80 5F DC'));
    expect(hasValidTck(atr)).toBe(true);
    expect(() => buildAtr(Buffer.alloc(0))).toThrow(RangeError);
    expect(() => buildAtr(Buffer.alloc(16, 0x41))).toThrow(RangeError);
  });

  it('is what the virtual card answers at power on and reset', () => {
    const card = new VirtualCard({ store: new MemoryStore(), applications: [idApplication] });
    expect(card.atr).toEqual(CITYCARD_ATR);
    expect(card.powerOn()).toEqual(CITYCARD_ATR);
    expect(card.reset()).toEqual(CITYCARD_ATR);
  });
});
