import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyPersonalizedError,
  ID_LIFECYCLE_KEY,
  MemoryStore,
  PersonalizationError,
  isPersonalized,
  personalizeTestProfile,
  type CardCertificateIssuer,
} from '@citycard/card-os';
import { toHex } from '@citycard/protocols';
import { cardCertificateIssuer, createCityCa, type CityCa } from '@citycard/hsm-sim/ca';
import { CA_NOT_AFTER, CA_NOT_BEFORE, FIXED_NOW } from './support/personalizedCard.js';

const ID = 'df/F043495459494401';
// Every value the test profile writes, and the fixed ones byte for byte.
const EXPECTED_KEYS = [
  `${ID}/ef/0001`,
  `${ID}/ef/0002`,
  `${ID}/ef/0003`,
  `${ID}/key/auth`,
  `${ID}/lifecycle`,
  `${ID}/pin/01`,
  `${ID}/pin/01/tries`,
  `${ID}/pin/81`,
  `${ID}/pin/81/tries`,
];
const PIN_123456_BLOCK = '313233343536FFFF';
const PUK_12345678_BLOCK = '3132333435363738';

let ca: CityCa;
let issuer: CardCertificateIssuer;

beforeAll(() => {
  ca = createCityCa({ notBefore: CA_NOT_BEFORE, notAfter: CA_NOT_AFTER, serial: '02' });
  issuer = cardCertificateIssuer(ca);
});

describe('personalizeTestProfile', () => {
  it('writes the ID application in one commit: files, PIN, PUK, key, lifecycle', () => {
    const store = new MemoryStore();
    let commits = 0;
    const commit = store.commit.bind(store);
    store.commit = (changes) => {
      commits++;
      commit(changes);
    };
    expect(isPersonalized(store)).toBe(false);
    const result = personalizeTestProfile(store, { issueCertificate: issuer, now: FIXED_NOW, timeZone: 'UTC' });
    expect(commits).toBe(1);
    expect(store.keys()).toEqual(EXPECTED_KEYS);
    expect(toHex(store.get(`${ID}/pin/01`)!)).toBe(PIN_123456_BLOCK);
    expect(toHex(store.get(`${ID}/pin/01/tries`)!)).toBe('03');
    expect(toHex(store.get(`${ID}/pin/81`)!)).toBe(PUK_12345678_BLOCK);
    expect(toHex(store.get(`${ID}/pin/81/tries`)!)).toBe('0A');
    expect(toHex(store.get(ID_LIFECYCLE_KEY)!)).toBe('07');
    expect(store.get(`${ID}/ef/0003`)).toEqual(result.certificateDer);
    expect(result.cardNumber).toBe('1000000000000001');
    expect(isPersonalized(store)).toBe(true);
  });

  it('refuses to personalize a personalized store and changes nothing', () => {
    const store = new MemoryStore();
    personalizeTestProfile(store, { issueCertificate: issuer, now: FIXED_NOW, timeZone: 'UTC' });
    const before = new Map(store.keys().map((k) => [k, toHex(store.get(k)!)]));
    expect(() => personalizeTestProfile(store, { issueCertificate: issuer, now: FIXED_NOW })).toThrow(AlreadyPersonalizedError);
    expect(new Map(store.keys().map((k) => [k, toHex(store.get(k)!)]))).toEqual(before);
  });

  it('takes the card number, expiry and card type given, and "today" in the given zone', () => {
    const store = new MemoryStore();
    // 20:00 UTC on 1 June is already 2 June in Shanghai: the certificate then starts now.
    const now = new Date('2025-06-01T20:00:00Z');
    const result = personalizeTestProfile(store, {
      issueCertificate: issuer,
      now,
      timeZone: 'Asia/Shanghai',
      cardNumber: '1000000000000002',
      expiryDate: '20300101',
      cardType: 2,
    });
    expect(toHex(store.get(`${ID}/ef/0001`)!)).toBe(
      'E1255A0810000000000000025F2504202506025F240420300101C1010242080000000000000001',
    );
    const cert = new X509Certificate(result.certificateDer);
    expect(new Date(cert.validFrom).toISOString()).toBe(now.toISOString());
    expect(new Date(cert.validTo).toISOString()).toBe('2030-01-01T23:59:59.000Z');
    expect(cert.subject).toContain('CN=1000000000000002');
  });

  it('expires ten years on; 29 February becomes the 28th', () => {
    const store = new MemoryStore();
    personalizeTestProfile(store, { issueCertificate: issuer, now: new Date('2028-02-29T12:00:00Z'), timeZone: 'UTC' });
    expect(toHex(store.get(`${ID}/ef/0001`)!)).toContain('5F2504202802295F240420380228');
  });

  it('writes nothing when the CA certifies another key or the data is refused', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
    const wrongKey: CardCertificateIssuer = (req) => issuer({ ...req, subjectPublicKeyDer: other });
    const store = new MemoryStore();
    expect(() => personalizeTestProfile(store, { issueCertificate: wrongKey, now: FIXED_NOW })).toThrow(PersonalizationError);
    expect(() => personalizeTestProfile(store, { issueCertificate: issuer, now: FIXED_NOW, cardNumber: '12' })).toThrow(
      PersonalizationError,
    );
    expect(() =>
      personalizeTestProfile(store, { issueCertificate: issuer, now: FIXED_NOW, expiryDate: '20200101', timeZone: 'UTC' }),
    ).toThrow(PersonalizationError);
    const failing: CardCertificateIssuer = () => {
      throw new Error('CA offline');
    };
    expect(() => personalizeTestProfile(store, { issueCertificate: failing, now: FIXED_NOW })).toThrow('CA offline');
    expect(store.keys()).toEqual([]);
  });
});
