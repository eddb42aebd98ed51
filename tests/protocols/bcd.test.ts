import { describe, expect, it } from 'vitest';
import {
  BcdError,
  bcdDateTime,
  decodeBcd,
  decodeBcdDate,
  decodeBcdTime,
  encodeBcd,
  encodeBcdDate,
  encodeBcdTime,
  formatDateTime,
  isValidDate,
  isValidTime,
} from '../../protocols/src/bcd.js';
import { fromHex, toHex } from '../../protocols/src/bytes.js';
import { ProtocolError } from '../../protocols/src/errors.js';

const CARD_NUMBER = '1000000000000001';
const CARD_NUMBER_BCD = fromHex('1000000000000001');
const DATE_BCD = fromHex('20261123');
const TIME_BCD = fromHex('093000');

// 2026-11-23 01:30:00 UTC is 09:30:00 the same day in Shanghai (UTC+8, no DST).
const INSTANT = new Date(Date.UTC(2026, 10, 23, 1, 30, 0));
// 2026-11-22 23:59:59 UTC is already the 23rd in Shanghai.
const LATE_INSTANT = new Date(Date.UTC(2026, 10, 22, 23, 59, 59));

describe('digit strings', () => {
  it('encodes and decodes a card number', () => {
    expect(toHex(encodeBcd(CARD_NUMBER))).toBe(toHex(CARD_NUMBER_BCD));
    expect(decodeBcd(CARD_NUMBER_BCD)).toBe(CARD_NUMBER);
  });

  it('round-trips every digit pair', () => {
    const digits = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join('');
    expect(decodeBcd(encodeBcd(digits))).toBe(digits);
  });

  it('left-pads to a byte length', () => {
    expect(toHex(encodeBcd('123', 3))).toBe('000123');
    expect(toHex(encodeBcd('', 2))).toBe('0000');
    expect(toHex(encodeBcd('1234', 2))).toBe('1234');
  });

  it('rejects non-digits, odd counts and overflow with BcdError', () => {
    expect(() => encodeBcd('12A4')).toThrow(BcdError);
    expect(() => encodeBcd('12 4')).toThrow(BcdError);
    expect(() => encodeBcd('-1')).toThrow(BcdError);
    expect(() => encodeBcd('123')).toThrow(BcdError);
    expect(() => encodeBcd('12345', 2)).toThrow(BcdError);
  });

  it('rejects a bad byte length with RangeError', () => {
    expect(() => encodeBcd('12', 0)).toThrow(RangeError);
    expect(() => encodeBcd('12', 1.5)).toThrow(RangeError);
  });

  it('rejects nibbles A to F on decode', () => {
    expect(() => decodeBcd(fromHex('100A'))).toThrow(BcdError);
    expect(() => decodeBcd(fromHex('F0'))).toThrow(BcdError);
  });

  it('BcdError is a ProtocolError answering 6A80', () => {
    const error = (() => {
      try {
        decodeBcd(fromHex('FF'));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as BcdError).sw).toBe(0x6a80);
    expect((error as BcdError).name).toBe('BcdError');
  });

  it('decodes from a subarray view', () => {
    const frame = fromHex('AA1000000000000001BB');
    expect(decodeBcd(frame.subarray(1, 9))).toBe(CARD_NUMBER);
  });
});

describe('dates', () => {
  it('encodes and decodes YYYYMMDD', () => {
    expect(toHex(encodeBcdDate('20261123'))).toBe(toHex(DATE_BCD));
    expect(decodeBcdDate(DATE_BCD)).toBe('20261123');
  });

  it('knows leap years', () => {
    expect(isValidDate('20240229')).toBe(true);
    expect(isValidDate('20000229')).toBe(true);
    expect(isValidDate('19000229')).toBe(false);
    expect(isValidDate('20250229')).toBe(false);
  });

  it('rejects impossible dates', () => {
    for (const bad of ['20261131', '20261300', '20260001', '20260100', '00001231', '2026112', '2026-11-2']) {
      expect(isValidDate(bad)).toBe(false);
      expect(() => encodeBcdDate(bad)).toThrow(BcdError);
    }
    expect(isValidDate('99991231')).toBe(true);
    expect(isValidDate('00010101')).toBe(true);
  });

  it('decode rejects a wrong length, bad nibbles and impossible dates', () => {
    expect(() => decodeBcdDate(fromHex('202611'))).toThrow(BcdError);
    expect(() => decodeBcdDate(fromHex('2026112A'))).toThrow(BcdError);
    expect(() => decodeBcdDate(fromHex('20260230'))).toThrow(BcdError);
  });
});

describe('times', () => {
  it('encodes and decodes hhmmss', () => {
    expect(toHex(encodeBcdTime('093000'))).toBe(toHex(TIME_BCD));
    expect(decodeBcdTime(TIME_BCD)).toBe('093000');
    expect(isValidTime('235959')).toBe(true);
    expect(isValidTime('000000')).toBe(true);
  });

  it('rejects impossible times', () => {
    for (const bad of ['240000', '236000', '235960', '09300', '9:30:0']) {
      expect(isValidTime(bad)).toBe(false);
      expect(() => encodeBcdTime(bad)).toThrow(BcdError);
    }
  });

  it('decode rejects a wrong length, bad nibbles and impossible times', () => {
    expect(() => decodeBcdTime(fromHex('0930'))).toThrow(BcdError);
    expect(() => decodeBcdTime(fromHex('09300A'))).toThrow(BcdError);
    expect(() => decodeBcdTime(fromHex('250000'))).toThrow(BcdError);
  });
});

describe('date and time of an instant', () => {
  it('in UTC', () => {
    expect(formatDateTime(INSTANT, 'UTC')).toEqual({ date: '20261123', time: '013000' });
  });

  it('in Asia/Shanghai', () => {
    const { date, time } = bcdDateTime(INSTANT, 'Asia/Shanghai');
    expect(toHex(date)).toBe(toHex(DATE_BCD));
    expect(toHex(time)).toBe(toHex(TIME_BCD));
  });

  it('crosses midnight by zone', () => {
    expect(formatDateTime(LATE_INSTANT, 'UTC')).toEqual({ date: '20261122', time: '235959' });
    expect(formatDateTime(LATE_INSTANT, 'Asia/Shanghai')).toEqual({ date: '20261123', time: '075959' });
  });

  it('uses 00 for midnight, not 24', () => {
    expect(formatDateTime(new Date(Date.UTC(2026, 0, 1, 0, 0, 5)), 'UTC')).toEqual({ date: '20260101', time: '000005' });
  });

  it('defaults to the local zone', () => {
    const local = formatDateTime(INSTANT);
    const expected =
      String(INSTANT.getFullYear()).padStart(4, '0') +
      String(INSTANT.getMonth() + 1).padStart(2, '0') +
      String(INSTANT.getDate()).padStart(2, '0');
    expect(local.date).toBe(expected);
  });

  it('pads years below 1000', () => {
    const d = new Date(0);
    d.setUTCFullYear(999, 0, 2);
    expect(formatDateTime(d, 'UTC').date).toBe('09990102');
  });

  it('rejects an invalid Date, an unknown zone and years out of range', () => {
    expect(() => formatDateTime(new Date(Number.NaN), 'UTC')).toThrow(RangeError);
    expect(() => formatDateTime(INSTANT, 'Mars/Olympus_Mons')).toThrow(RangeError);
    const bc = new Date(0);
    bc.setUTCFullYear(0, 5, 1);
    expect(() => formatDateTime(bc, 'UTC')).toThrow(RangeError);
    const far = new Date(0);
    far.setUTCFullYear(10000, 0, 1);
    expect(() => formatDateTime(far, 'UTC')).toThrow(RangeError);
  });
});
