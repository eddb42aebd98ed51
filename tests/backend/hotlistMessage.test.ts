import { generateKeyPairSync } from 'node:crypto';
import { fromHex, toHex } from '@citycard/protocols';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_HOTLIST,
  type HotlistDelta,
  HotlistMessageError,
  type HotlistSnapshot,
  applySignedHotlist,
  ed25519PublicKeyToRaw,
  encodeHotlistBody,
  parseHotlistMessage,
  signHotlistMessage,
  verifyHotlistMessage,
} from '@citycard/protocols';
import { hotlistSseFrame } from '../../backend/src/realtime/hotlistSse.js';
import { TEST_PUBLIC_KEY, TEST_PUBLIC_KEY_RAW, TEST_SIGNING_KEY } from './hotlistTestKit.js';

const ISSUED_AT = new Date('2026-11-23T12:00:00Z');

const DELTA_41_43: HotlistDelta = {
  kind: 'delta',
  baseVersion: 41,
  version: 43,
  issuedAt: ISSUED_AT,
  entries: [
    { version: 42, action: 'add', reason: 'lost', cardNumber: '1000000000000001' },
    { version: 43, action: 'remove', reason: 'found', cardNumber: '1000000000000002' },
  ],
};
// The worked example of docs/hotlist.md.
const DELTA_41_43_BODY = fromHex(
  '4343484C 01 01 00000029 0000002B 6B042AC0 00000002' + '01 01 1000000000000001' + '02 05 1000000000000002',
);
const DELTA_41_43_SIGNATURE = fromHex(
  '3B04B15C632B2CEE5BAB8B4F248DF4FED3C1193CE48E89EFB994E03A56E7EB17' +
    '35A264036CE29CC12A0C266AE5CAFCD7C961B0BA2524DF1083AF51573AEC7905',
);

const SNAPSHOT_43: HotlistSnapshot = {
  kind: 'snapshot',
  version: 43,
  issuedAt: ISSUED_AT,
  cardNumbers: ['1000000000000003', '1000000000000001'],
};
const SNAPSHOT_43_SIGNED = fromHex(
  '4343484C 01 02 00000000 0000002B 6B042AC0 00000002 1000000000000001 1000000000000003' +
    '1163EC4A86A09D693A8499FFC81D64A9A0321D9FA2240BE958496A222428362981F55FC48C6E838BFF3C1E6E6436629D32058E924D97301F75DDAD67C0D9300C',
);

describe('hotlist message format', () => {
  it('encodes a delta to the exact documented bytes and signature', () => {
    expect(toHex(encodeHotlistBody(DELTA_41_43))).toBe(toHex(DELTA_41_43_BODY));
    const signed = signHotlistMessage(DELTA_41_43, TEST_SIGNING_KEY);
    expect(signed.length).toBe(22 + 2 * 10 + 64);
    expect(toHex(signed)).toBe(toHex(Buffer.concat([DELTA_41_43_BODY, DELTA_41_43_SIGNATURE])));
  });

  it('encodes a snapshot with ascending cards and base version 0', () => {
    expect(toHex(signHotlistMessage(SNAPSHOT_43, TEST_SIGNING_KEY))).toBe(toHex(SNAPSHOT_43_SIGNED));
  });

  it('parses back what it encodes (round trip of both kinds)', () => {
    const delta = parseHotlistMessage(Buffer.concat([DELTA_41_43_BODY, DELTA_41_43_SIGNATURE])).message;
    expect(delta).toEqual(DELTA_41_43);
    const snapshot = parseHotlistMessage(SNAPSHOT_43_SIGNED).message;
    expect(snapshot).toEqual({ ...SNAPSHOT_43, cardNumbers: ['1000000000000001', '1000000000000003'] });
  });

  it('exposes the documented raw public key', () => {
    expect(toHex(ed25519PublicKeyToRaw(TEST_PUBLIC_KEY))).toBe(toHex(TEST_PUBLIC_KEY_RAW));
  });

  it('refuses to encode entries whose versions do not run base+1..new', () => {
    const gap = { ...DELTA_41_43, entries: [DELTA_41_43.entries[0]!, { ...DELTA_41_43.entries[1]!, version: 44 }] };
    expect(() => encodeHotlistBody(gap)).toThrow(RangeError);
    expect(() => encodeHotlistBody({ ...DELTA_41_43, version: 44 })).toThrow(RangeError);
    expect(() => encodeHotlistBody({ ...SNAPSHOT_43, cardNumbers: ['1000000000000001', '1000000000000001'] })).toThrow(HotlistMessageError);
  });
});

describe('hotlist signature', () => {
  const signed = Buffer.concat([DELTA_41_43_BODY, DELTA_41_43_SIGNATURE]);

  it('verifies with the raw 32-byte key and with a KeyObject', () => {
    expect(verifyHotlistMessage(signed, TEST_PUBLIC_KEY_RAW)).toEqual(DELTA_41_43);
    expect(verifyHotlistMessage(signed, TEST_PUBLIC_KEY)).toEqual(DELTA_41_43);
  });

  it('detects a flipped bit anywhere in the message', () => {
    for (let i = 0; i < signed.length; i++) {
      const tampered = Buffer.from(signed);
      tampered[i]! ^= 0x01;
      expect(() => verifyHotlistMessage(tampered, TEST_PUBLIC_KEY_RAW), `byte ${i}`).toThrow(
        expect.objectContaining({ reason: 'SIGNATURE_INVALID' }),
      );
    }
  });

  it('refuses a message signed by another key', () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(() => verifyHotlistMessage(signHotlistMessage(DELTA_41_43, other), TEST_PUBLIC_KEY_RAW)).toThrow(
      expect.objectContaining({ reason: 'SIGNATURE_INVALID' }),
    );
  });

  it('refuses truncated or malformed bytes as MALFORMED', () => {
    expect(() => verifyHotlistMessage(signed.subarray(0, 10), TEST_PUBLIC_KEY_RAW)).toThrow(
      expect.objectContaining({ reason: 'MALFORMED' }),
    );
    // Validly signed but with an unknown reason byte 09.
    const bad = Buffer.from(DELTA_41_43_BODY);
    bad[23] = 0x09;
    const badSigned = Buffer.concat([bad, Buffer.alloc(64)]);
    expect(() => parseHotlistMessage(badSigned)).toThrow(expect.objectContaining({ reason: 'MALFORMED' }));
    const badCount = Buffer.from(DELTA_41_43_BODY);
    badCount[21] = 0x03;
    expect(() => parseHotlistMessage(Buffer.concat([badCount, Buffer.alloc(64)]))).toThrow(expect.objectContaining({ reason: 'MALFORMED' }));
  });
});

describe('applying hotlist messages on a terminal', () => {
  const delta = Buffer.concat([DELTA_41_43_BODY, DELTA_41_43_SIGNATURE]);

  it('applies a delta: adds and removes, moves to the new version, leaves the old state alone', () => {
    const before = { version: 41, cards: new Set(['1000000000000002', '1000000000000009']) };
    const after = applySignedHotlist(before, delta, TEST_PUBLIC_KEY_RAW);
    expect(after.version).toBe(43);
    expect([...after.cards].sort()).toEqual(['1000000000000001', '1000000000000009']);
    expect([...before.cards].sort()).toEqual(['1000000000000002', '1000000000000009']);
  });

  it('refuses a delta that does not start at the local version', () => {
    expect(() => applySignedHotlist({ version: 40, cards: new Set() }, delta, TEST_PUBLIC_KEY_RAW)).toThrow(
      expect.objectContaining({ reason: 'BASE_VERSION_MISMATCH' }),
    );
  });

  it('replaces the set from a snapshot and refuses an older snapshot', () => {
    const local = { version: 10, cards: new Set(['1000000000000002']) };
    const after = applySignedHotlist(local, SNAPSHOT_43_SIGNED, TEST_PUBLIC_KEY_RAW);
    expect(after).toEqual({ version: 43, cards: new Set(['1000000000000001', '1000000000000003']) });
    expect(applySignedHotlist(EMPTY_HOTLIST, SNAPSHOT_43_SIGNED, TEST_PUBLIC_KEY_RAW).version).toBe(43);
    expect(() => applySignedHotlist({ version: 44, cards: new Set() }, SNAPSHOT_43_SIGNED, TEST_PUBLIC_KEY_RAW)).toThrow(
      expect.objectContaining({ reason: 'VERSION_REGRESSION' }),
    );
  });
});

describe('hotlist SSE frame', () => {
  it('frames a signed message with its new version as the event id and base64 data', () => {
    const signed = Buffer.concat([DELTA_41_43_BODY, DELTA_41_43_SIGNATURE]);
    expect(hotlistSseFrame(signed)).toBe(`event: hotlist\nid: 43\ndata: ${signed.toString('base64')}\n\n`);
    expect(hotlistSseFrame(signed).startsWith('event: hotlist\nid: 43\ndata: Q0NITAEBAAAAKQAAACtrBCrA')).toBe(true);
    expect(() => hotlistSseFrame(signed.subarray(0, 5))).toThrow(RangeError);
  });
});
