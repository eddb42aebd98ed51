/**
 * Power cuts during the personalization of a blank card (docs/personalization.md, spec §6): the
 * power is cut at every write point of a whole personalization (the failing write half done),
 * the card is rebuilt from its state on disk, and it must be either a blank card that a new
 * session personalizes from the start, or (a cut after END PERSONALIZATION's commit reached the
 * disk) a complete, working card. Never anything in between.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_TYPE, diversifyKey, encodeBcd, encodeCardInfo, encodeCardholder, fromHex, keyCheckValue, toHex } from '@citycard/protocols';
import { FaultyIo, FileStore, idApplication, nodeStorageIo, type PersistentStore } from '@citycard/card-os';
import { externalAuthenticate, secureCommand, sessionKeys, type SmKeys } from '@citycard/hsm-sim';
import { createCityCa, issueCardCertificate, type CityCa } from '@citycard/hsm-sim/ca';
import { encodeEpIssuerData, encodePurseLimits, epApplication } from '../../card-os/src/applications/ep/index.js';
import { ManagedCard, TEST_MTRK, manufactureBlankCard, transportKeyFor } from '../../card-os/src/personalization/secure/index.js';

const CSN = fromHex('CAFE000000000002');
const CARD_NUMBER = '1000000000000002';
const INITIALIZE_CMD = fromHex('801A000008 1112131415161718 00');
const RH = fromHex('1112131415161718');
const SELECT_ID_CMD = fromHex('00A4040008F04349545949440100');
const VERIFY_PIN_CMD = fromHex('0020000108 313233343536FFFF');
const SW_9000 = '9000';
const SW_6581 = '6581';
const NOT_BEFORE = new Date('2026-11-23T00:00:00Z');

const MASTERS = ['11223344556677888877665544332211', '2233445566778899AABBCCDDEEFF0011', '33445566778899AABBCCDDEEFF001122', '445566778899AABBCCDDEEFF00112233'];
const CARD_INFO = { cardNumber: CARD_NUMBER, effectiveDate: '20261123', expiryDate: '20361123', cardType: CARD_TYPE.adult, issuerId: '0000000000000001' };
const OBJECTS: readonly (readonly [number, Buffer])[] = [
  [0xff01, fromHex('313233343536FFFF')],
  [0xff81, fromHex('3132333435363738')],
  [0x0101, encodeCardInfo(CARD_INFO)],
  [0x0102, encodeCardholder({ name: 'Test Citizen', citizenId: '110101199001011237', dateOfBirth: '19900101', residency: 'permanent' })],
  [0x0212, encodePurseLimits({ maxBalance: 100_000, maxSinglePurchase: 50_000 })],
  [0x0215, encodeEpIssuerData({ ...CARD_INFO, appVersion: 1 })],
];

let ca: CityCa;
let root: string;
let baseDir: string;
let copies = 0;

beforeAll(() => {
  ca = createCityCa({ notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2046-01-01T00:00:00Z'), serial: '04' });
  root = mkdtempSync(join(tmpdir(), 'citycard-blank-cut-'));
  baseDir = join(root, 'base');
  const store = FileStore.open(baseDir);
  manufactureBlankCard(store, { profile: 'card', csn: CSN, transportKey: transportKeyFor(TEST_MTRK, CSN) });
  store.close();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function copyOfBlank(): string {
  const dir = join(root, `card-${++copies}`);
  cpSync(baseDir, dir, { recursive: true });
  return dir;
}

function cardOn(store: PersistentStore): ManagedCard {
  // The card random need not be fixed here: the host side follows whatever RC the card sends.
  const card = new ManagedCard({ store, applications: [idApplication, epApplication] });
  card.powerOn();
  return card;
}

/** A whole personalization as the HSM would wrap it; stops at the first answer that is not 9000. */
function personalize(card: ManagedCard): { completed: boolean; last: string } {
  let last = '';
  const ok = (apdu: Uint8Array): Buffer | undefined => {
    const answer = card.transmit(apdu);
    last = toHex(answer.subarray(-2));
    return last === SW_9000 ? answer.subarray(0, -2) : undefined;
  };
  const init = ok(INITIALIZE_CMD);
  if (init === undefined) return { completed: false, last };
  const rc = init.subarray(8, 16);
  const keys: SmKeys = sessionKeys(transportKeyFor(TEST_MTRK, CSN), rc, RH);
  const authenticate = externalAuthenticate(keys.mac, rc, RH);
  let chain = authenticate.cmac;
  const wrap = (ins: number, p1: number, p2: number, plaintext: Uint8Array, le?: number): Buffer => {
    const command = secureCommand(keys, chain, ins, p1, p2, plaintext, le);
    chain = command.cmac;
    return command.apdu;
  };
  const store = (object: number, bytes: Uint8Array, offset = 0): Buffer =>
    wrap(0xe2, 0, 0, Buffer.concat([fromHex(`${object.toString(16).padStart(4, '0')}${offset.toString(16).padStart(4, '0')}`), bytes]));
  if (ok(authenticate.apdu) === undefined) return { completed: false, last };
  for (const [index, master] of MASTERS.entries()) {
    const key = diversifyKey(fromHex(master), encodeBcd(CARD_NUMBER));
    if (ok(wrap(0xd8, 0x01, index + 1, Buffer.concat([key, keyCheckValue(key)]))) === undefined) return { completed: false, last };
  }
  for (const [object, bytes] of OBJECTS) if (ok(store(object, bytes)) === undefined) return { completed: false, last };
  const modulus = ok(wrap(0x46, 0, 0, Buffer.alloc(0), 0x00));
  if (modulus === undefined) return { completed: false, last };
  const spki = createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: 'AQAB' }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  const certificate = issueCardCertificate({ ca, cardNumber: CARD_NUMBER, subjectPublicKeyDer: spki, notBefore: NOT_BEFORE, notAfter: new Date('2036-11-23T00:00:00Z'), serial: '05' });
  for (let at = 0; at < certificate.length; at += 235) {
    if (ok(store(0x0103, certificate.subarray(at, at + 235), at)) === undefined) return { completed: false, last };
  }
  return { completed: ok(wrap(0xf0, 0, 0, Buffer.alloc(0))) !== undefined, last };
}

function worksAsACard(card: ManagedCard): void {
  expect(toHex(card.transmit(SELECT_ID_CMD)).slice(-4)).toBe(SW_9000);
  expect(toHex(card.transmit(VERIFY_PIN_CMD))).toBe(SW_9000);
}

describe('power cuts while a blank card is personalized', () => {
  it('leave a blank card a new session personalizes, or (after END reached the disk) a complete card', () => {
    const measured = copyOfBlank();
    const io = new FaultyIo(nodeStorageIo);
    const store = FileStore.open(measured, { io });
    let run = { completed: false, last: '' };
    const points = io.measure(() => {
      run = personalize(cardOn(store));
    }).length;
    store.close();
    expect(run.completed).toBe(true);
    // A commit (a write and an fsync) per command that writes: 4 keys, 6 objects, the key pair,
    // at least 3 certificate chunks, END PERSONALIZATION.
    expect(points).toBeGreaterThanOrEqual(2 * 15);

    const outcomes = new Set<string>();
    for (let n = 1; n <= points; n++) {
      const dir = copyOfBlank();
      const faulty = new FaultyIo(nodeStorageIo);
      const torn = FileStore.open(dir, { io: faulty });
      faulty.failAfter(n, (length) => length >> 1);
      const cut = personalize(cardOn(torn));
      expect(cut, `cut at write point ${n}/${points}`).toEqual({ completed: false, last: SW_6581 });

      const reopened = FileStore.open(dir);
      const card = cardOn(reopened);
      const lifecycle = card.lifecycle;
      outcomes.add(lifecycle ?? 'none');
      if (lifecycle === 'personalized') {
        // Only END PERSONALIZATION's own commit can have made it.
        expect(n, `cut at write point ${n}/${points}`).toBeGreaterThan(points - 3);
        worksAsACard(card);
      } else {
        expect(lifecycle, `cut at write point ${n}/${points}`).toBe('blank');
        expect(toHex(card.transmit(SELECT_ID_CMD)), `cut at write point ${n}/${points}`).toBe('6985');
        expect(personalize(card), `retry after a cut at write point ${n}/${points}`).toEqual({ completed: true, last: SW_9000 });
        worksAsACard(card);
      }
      reopened.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect([...outcomes].sort()).toEqual(['blank', 'personalized']);
  });
});
