import { describe, expect, it } from 'vitest';
import { concat, fromHex } from '@citycard/protocols';
import {
  encodeVpcdFrame,
  MAX_VPCD_COMMAND_PAYLOAD,
  VpcdFrameDecoder,
  VpcdFrameError,
} from '../../card-os/src/vpcd/vpcdFrame.js';

const GET_ATR_FRAME = fromHex('0001 04');
const POWER_ON_FRAME = fromHex('0001 01');
const SELECT_MF_CMD = fromHex('00A4000002 3F00');
const SELECT_MF_FRAME = fromHex('0007 00A4000002 3F00');
const TOY_ATR = fromHex('3B8880010102030405060708 01');
const TOY_ATR_FRAME = fromHex('000D 3B8880010102030405060708 01');
/** Case 4 with 255 data bytes: the longest short command APDU (261 bytes). */
const LONGEST_CMD = concat(fromHex('80E00000FF'), Buffer.alloc(255, 0xa5), fromHex('00'));
const OVERSIZE_HEADER = fromHex('0106'); // declares 262 bytes
const ZERO_LENGTH_HEADER = fromHex('0000');

describe('encodeVpcdFrame', () => {
  it('prefixes the big-endian length', () => {
    expect(encodeVpcdFrame(TOY_ATR)).toEqual(TOY_ATR_FRAME);
    expect(encodeVpcdFrame(SELECT_MF_CMD)).toEqual(SELECT_MF_FRAME);
  });

  it('encodes a 258-byte response with length 0102', () => {
    const response = concat(Buffer.alloc(256, 0x11), fromHex('9000'));
    const frame = encodeVpcdFrame(response);
    expect(frame.subarray(0, 2)).toEqual(fromHex('0102'));
    expect(frame.subarray(2)).toEqual(response);
  });

  it('refuses a payload longer than 65535 bytes', () => {
    expect(() => encodeVpcdFrame(Buffer.alloc(0x10000))).toThrow(RangeError);
  });
});

describe('VpcdFrameDecoder', () => {
  it('decodes a whole frame in one chunk', () => {
    const decoder = new VpcdFrameDecoder();
    expect(decoder.push(SELECT_MF_FRAME)).toEqual([SELECT_MF_CMD]);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('decodes a frame split in two at every split point', () => {
    for (let at = 1; at < SELECT_MF_FRAME.length; at++) {
      const decoder = new VpcdFrameDecoder();
      expect(decoder.push(SELECT_MF_FRAME.subarray(0, at)), `split at ${at}`).toEqual([]);
      expect(decoder.pendingBytes).toBe(at);
      expect(decoder.push(SELECT_MF_FRAME.subarray(at)), `split at ${at}`).toEqual([SELECT_MF_CMD]);
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  it('decodes a frame fed one byte at a time', () => {
    const decoder = new VpcdFrameDecoder();
    const out: Buffer[] = [];
    for (const byte of TOY_ATR_FRAME) out.push(...decoder.push(Buffer.from([byte])));
    expect(out).toEqual([TOY_ATR]);
  });

  it('returns every frame of a chunk in order, keeping a trailing partial frame', () => {
    const decoder = new VpcdFrameDecoder();
    const chunk = concat(GET_ATR_FRAME, POWER_ON_FRAME, SELECT_MF_FRAME, SELECT_MF_FRAME.subarray(0, 4));
    expect(decoder.push(chunk)).toEqual([fromHex('04'), fromHex('01'), SELECT_MF_CMD]);
    expect(decoder.pendingBytes).toBe(4);
    expect(decoder.push(concat(SELECT_MF_FRAME.subarray(4), GET_ATR_FRAME))).toEqual([SELECT_MF_CMD, fromHex('04')]);
  });

  it('decodes frames straddling chunk boundaries at every split of a two-frame stream', () => {
    const stream = concat(SELECT_MF_FRAME, GET_ATR_FRAME);
    for (let at = 1; at < stream.length; at++) {
      const decoder = new VpcdFrameDecoder();
      const out = [...decoder.push(stream.subarray(0, at)), ...decoder.push(stream.subarray(at))];
      expect(out, `split at ${at}`).toEqual([SELECT_MF_CMD, fromHex('04')]);
    }
  });

  it('accepts the longest short command APDU', () => {
    const decoder = new VpcdFrameDecoder();
    expect(LONGEST_CMD.length).toBe(MAX_VPCD_COMMAND_PAYLOAD);
    expect(decoder.push(encodeVpcdFrame(LONGEST_CMD))).toEqual([LONGEST_CMD]);
  });

  it('refuses an oversize length as soon as the header arrives', () => {
    const decoder = new VpcdFrameDecoder();
    expect(() => decoder.push(OVERSIZE_HEADER)).toThrow(VpcdFrameError);
  });

  it('refuses an oversize length that follows a valid frame in the same chunk', () => {
    const decoder = new VpcdFrameDecoder();
    expect(() => decoder.push(concat(GET_ATR_FRAME, fromHex('FFFF')))).toThrow(VpcdFrameError);
  });

  it('refuses a zero length', () => {
    expect(() => new VpcdFrameDecoder().push(ZERO_LENGTH_HEADER)).toThrow(VpcdFrameError);
  });

  it('honours a custom bound', () => {
    const decoder = new VpcdFrameDecoder(258);
    expect(decoder.push(fromHex('0102'))).toEqual([]);
    expect(() => new VpcdFrameDecoder(258).push(fromHex('0103'))).toThrow(VpcdFrameError);
    expect(() => new VpcdFrameDecoder(0)).toThrow(RangeError);
  });

  it('returns payloads that do not alias the input chunk', () => {
    const decoder = new VpcdFrameDecoder();
    const chunk = Buffer.from(SELECT_MF_FRAME);
    const [payload] = decoder.push(chunk);
    chunk.fill(0);
    expect(payload).toEqual(SELECT_MF_CMD);
  });
});
