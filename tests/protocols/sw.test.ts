import { describe, expect, it } from 'vitest';
import { SW, isOk, swHex, swMessage, swTriesLeft, swWrongPin } from '@citycard/protocols';

describe('status words', () => {
  it('carries the spec values', () => {
    expect(SW.OK).toBe(0x9000);
    expect(SW.END_OF_FILE).toBe(0x6282);
    expect(SW.NOT_FOUND).toBe(0x6a82);
    expect(SW.MAC_INVALID).toBe(0x9302);
    expect(SW.INSUFFICIENT_BALANCE).toBe(0x9401);
    expect(SW.PROOF_NOT_AVAILABLE).toBe(0x9406);
  });

  it('encodes and reads tries left in 63Cx', () => {
    expect(swWrongPin(2)).toBe(0x63c2);
    expect(swTriesLeft(0x63c2)).toBe(2);
    expect(swTriesLeft(0x63c0)).toBe(0);
    expect(swTriesLeft(0x6983)).toBeUndefined();
    expect(() => swWrongPin(16)).toThrow(RangeError);
  });

  it('describes status words for people', () => {
    expect(swMessage(0x6a82)).toBe('6A82 file or application not found');
    expect(swMessage(0x63c1)).toBe('63C1 verification failed, 1 tries left');
    expect(swMessage(0x1234)).toBe('1234 unknown status word');
    expect(swHex(0x9000)).toBe('9000');
    expect(isOk(0x9000)).toBe(true);
    expect(isOk(0x6282)).toBe(false);
  });
});
