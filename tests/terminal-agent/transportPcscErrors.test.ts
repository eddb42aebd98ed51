import { describe, expect, it } from 'vitest';
import {
  cardEventCount,
  isCardPresent,
  isCardUsable,
  isCommFailure,
  mapPcscError,
  pcscErrorCode,
} from '../../terminal-agent/src/transport/index.js';
import { CardAbsentError, CardRemovedError, ReaderGoneError, TransportError } from '../../terminal-agent/src/errors.js';

// Messages exactly as the binding builds them: "<call> error: <pcsc_stringify_error>(0x<code>)".
const REMOVED = new Error('SCardTransmit error: Card was removed.(0x80100069)');
const NO_CARD = new Error('SCardConnect error: No smart card inserted.(0x8010000c)');
const UNKNOWN_READER = new Error('SCardConnect error: Unknown reader specified.(0x80100009)');
const NO_SERVICE = new Error('SCardTransmit error: Service not available.(0x8010001d)');
const NOT_TRANSACTED = new Error('SCardTransmit error: Transaction failed.(0x80100016)');
const SHARING = new Error('SCardConnect error: Sharing violation.(0x8010000b)');
const NOT_CONNECTED = new Error('Card Reader not connected');
const TOY_ATR = Buffer.from('3B8880014349545954455354 18'.replace(/ /g, ''), 'hex');

describe('pcscErrorCode', () => {
  it('reads the code at the end of a binding message', () => {
    expect(pcscErrorCode(REMOVED)).toBe(0x80100069);
    expect(pcscErrorCode(NO_CARD)).toBe(0x8010000c);
    expect(pcscErrorCode(NOT_CONNECTED)).toBeUndefined();
    expect(pcscErrorCode('0x80100069')).toBeUndefined();
  });
});

describe('mapPcscError', () => {
  it('maps a lost card to CardAbsentError on connect and CardRemovedError on transmit', () => {
    expect(mapPcscError(NO_CARD, 'connect', 'R')).toBeInstanceOf(CardAbsentError);
    expect(mapPcscError(REMOVED, 'connect', 'R')).toBeInstanceOf(CardAbsentError);
    expect(mapPcscError(REMOVED, 'transmit', 'R')).toBeInstanceOf(CardRemovedError);
    expect(mapPcscError(NO_CARD, 'transmit', 'R')).toBeInstanceOf(CardRemovedError);
  });

  it('maps a vanished reader or service to ReaderGoneError', () => {
    expect(mapPcscError(UNKNOWN_READER, 'connect', 'R')).toBeInstanceOf(ReaderGoneError);
    expect(mapPcscError(NO_SERVICE, 'transmit', 'R')).toBeInstanceOf(ReaderGoneError);
  });

  it('maps anything else to a plain TransportError, keeping the cause', () => {
    for (const err of [SHARING, NOT_CONNECTED, NOT_TRANSACTED]) {
      const mapped = mapPcscError(err, 'transmit', 'Virtual PCD 00 00');
      expect(mapped.constructor).toBe(TransportError);
      expect(mapped.cause).toBe(err);
      expect(mapped.message).toContain('Virtual PCD 00 00');
    }
  });

  it('flags broken-off exchanges for a presence check', () => {
    expect(isCommFailure(NOT_TRANSACTED)).toBe(true);
    expect(isCommFailure(REMOVED)).toBe(false);
    expect(isCommFailure(NOT_CONNECTED)).toBe(false);
  });
});

describe('reader state', () => {
  // As pcsc-lite reports them: event count in the high word, SCARD_STATE_* bits in the low one.
  const EMPTY = { state: 0x0004_0012, atr: Buffer.alloc(0) };
  const PRESENT = { state: 0x0005_0022, atr: TOY_ATR };
  const MUTE = { state: 0x0005_0222, atr: Buffer.alloc(0) };

  it('tells presence, usability and the card event count', () => {
    expect([isCardPresent(EMPTY), isCardPresent(PRESENT), isCardPresent(MUTE)]).toEqual([false, true, true]);
    expect([isCardUsable(EMPTY), isCardUsable(PRESENT), isCardUsable(MUTE)]).toEqual([false, true, false]);
    expect([cardEventCount(EMPTY), cardEventCount(PRESENT)]).toEqual([4, 5]);
  });
});
