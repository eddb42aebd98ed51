import { describe, expect, it } from 'vitest';
import { fromHex } from '@citycard/protocols';
import { parseVpcdMessage } from '../../card-os/src/vpcd/vpcdMessage.js';
import { describeCommandForLog, traceEnabled } from '../../card-os/src/vpcd/vpcdLog.js';

const VERIFY_PIN_CMD = fromHex('0020000108 313233343536FFFF');
const CHANGE_PIN_CMD = fromHex('0024000110 313233343536FFFF 363534333231FFFF');
const UNBLOCK_PIN_CMD = fromHex('002C000110 3132333435363738 313233343536FFFF');
const SM_VERIFY_PIN_CMD = fromHex('0C20000108 313233343536FFFF');
const VERIFY_STATUS_CMD = fromHex('00200001');
const SELECT_EP_CMD = fromHex('00A4040008 F043495459455001 00');

describe('parseVpcdMessage', () => {
  it('maps the four control codes', () => {
    expect(parseVpcdMessage(fromHex('00'))).toEqual({ kind: 'powerOff' });
    expect(parseVpcdMessage(fromHex('01'))).toEqual({ kind: 'powerOn' });
    expect(parseVpcdMessage(fromHex('02'))).toEqual({ kind: 'reset' });
    expect(parseVpcdMessage(fromHex('04'))).toEqual({ kind: 'getAtr' });
  });

  it('reports an unknown 1-byte code', () => {
    expect(parseVpcdMessage(fromHex('03'))).toEqual({ kind: 'unknownControl', code: 3 });
  });

  it('treats two or more bytes as an APDU, even a malformed one', () => {
    expect(parseVpcdMessage(SELECT_EP_CMD)).toEqual({ kind: 'apdu', apdu: SELECT_EP_CMD });
    expect(parseVpcdMessage(fromHex('0001'))).toEqual({ kind: 'apdu', apdu: fromHex('0001') });
  });

  it('refuses an empty payload', () => {
    expect(() => parseVpcdMessage(Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('describeCommandForLog', () => {
  it('masks the data of VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER', () => {
    expect(describeCommandForLog(VERIFY_PIN_CMD)).toBe('0020000108 <8 bytes masked>');
    expect(describeCommandForLog(CHANGE_PIN_CMD)).toBe('0024000110 <16 bytes masked>');
    expect(describeCommandForLog(UNBLOCK_PIN_CMD)).toBe('002C000110 <16 bytes masked>');
    expect(describeCommandForLog(SM_VERIFY_PIN_CMD)).toBe('0C20000108 <8 bytes masked>');
  });

  it('shows other commands and a data-less VERIFY in full', () => {
    expect(describeCommandForLog(SELECT_EP_CMD)).toBe('00A4040008F04349545945500100');
    expect(describeCommandForLog(VERIFY_STATUS_CMD)).toBe('00200001');
  });
});

describe('traceEnabled', () => {
  const noop = (): void => {};
  const base = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };
  it('asks the logger when it can tell, else assumes yes', () => {
    expect(traceEnabled(undefined)).toBe(false);
    expect(traceEnabled(base)).toBe(true);
    expect(traceEnabled({ ...base, isLevelEnabled: (l: string) => l !== 'trace' })).toBe(false);
  });
});
