/**
 * Blank cards and PSAMs, card side (docs/personalization.md): the secure channel against the
 * HSM's own host-side functions (a second implementation), the command rules, END
 * PERSONALIZATION's completeness check, and the personalized card working like one personalized
 * by the test profiles, with the same store keys.
 */
import { X509Certificate, constants, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CARD_TYPE,
  authSignedMessage,
  diversifyKey,
  encodeBcd,
  encodeCardInfo,
  encodeCardholder,
  fromHex,
  keyCheckValue,
  toHex,
  type CardInfo,
} from '@citycard/protocols';
import { MemoryStore, idApplication, personalizeTestProfile, type PersistentStore } from '@citycard/card-os';
import { externalAuthenticate, secureCommand, sessionKeys, type SmKeys } from '@citycard/hsm-sim';
import { cardCertificateIssuer, createCityCa, issueCardCertificate, type CityCa } from '@citycard/hsm-sim/ca';
import { encodeEpIssuerData, encodePurseLimits, epApplication } from '../../card-os/src/applications/ep/index.js';
import { psamApplication } from '../../card-os/src/applications/psam/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';
import { personalizePsamTestProfile } from '../../card-os/src/personalization/psamTestProfile.js';
import {
  CARD_CSN_KEY,
  CARD_LIFECYCLE_KEY,
  ManagedCard,
  StoreNotEmptyError,
  TEST_MTRK,
  CARD_TRANSPORT_KEY,
  manufactureBlankCard,
  transportKeyFor,
  type CardProfileKind,
} from '../../card-os/src/personalization/secure/index.js';

const CSN = fromHex('CAFE000000000001');
const RC = fromHex('A0A1A2A3A4A5A6A7');
const RH = fromHex('1112131415161718');
const KT = fromHex('3B2991A1100FBC9DE7F28196D1530EB6');

// Exact bytes, shared with the HSM suite's fixtures (tests/hsm-sim/personalization.test.ts).
const INITIALIZE_CMD = fromHex('801A000008 1112131415161718 00');
const INITIALIZE_RSP = fromHex('CAFE000000000001 A0A1A2A3A4A5A6A7 3971BDE2A2D93C62 9000');
const EXTERNAL_AUTHENTICATE_CMD = fromHex('8482000010 C8F3A9E4852E7368 4617FED5C1D00CBF');
/** PUT KEY DPK (version 01) of card 1000000000000001, the first command of that session. */
const PUT_KEY_DPK_CMD = fromHex('84D8010120 6719E39FBA888420912B42A9F9EA46C340E03B7143DA1677 BFF054F0E8065A6A');

const SELECT_ID_CMD = fromHex('00A4040008F04349545949440100');
const SELECT_EP_CMD = fromHex('00A4040008F04349545945500100');
const SELECT_PSAM_CMD = fromHex('00A4040008F04349545953414D00');
const READ_CARD_INFO_CMD = fromHex('00B0810000');
const VERIFY_PIN_CMD = fromHex('0020000108 313233343536FFFF');
const GET_CHALLENGE_CMD = fromHex('0084000004');
const GET_BALANCE_CMD = fromHex('805C000204');
const READ_TERMINAL_CMD = fromHex('00B0960006');

const SW_9000 = '9000';
const SW_6982 = '6982';
const SW_6985 = '6985';
const SW_6A80 = '6A80';
const SW_6A84 = '6A84';
const SW_6A86 = '6A86';

const CARD_NUMBER = '1000000000000001';
const NOW = new Date('2026-11-23T09:30:00Z');
const CARD_INFO: CardInfo = {
  cardNumber: CARD_NUMBER,
  effectiveDate: '20261123',
  expiryDate: '20361123',
  cardType: CARD_TYPE.adult,
  issuerId: '0000000000000001',
};
const CARDHOLDER = { name: 'Test Citizen', citizenId: '110101199001011237', dateOfBirth: '19900101', residency: 'permanent' } as const;
const MASTER = {
  MPK: fromHex('11223344556677888877665544332211'),
  MLK: fromHex('2233445566778899AABBCCDDEEFF0011'),
  MTK: fromHex('33445566778899AABBCCDDEEFF001122'),
  MAMK: fromHex('445566778899AABBCCDDEEFF00112233'),
};
const CARD_KEYS = [
  [0x01, diversifyKey(MASTER.MPK, encodeBcd(CARD_NUMBER))],
  [0x02, diversifyKey(MASTER.MLK, encodeBcd(CARD_NUMBER))],
  [0x03, diversifyKey(MASTER.MTK, encodeBcd(CARD_NUMBER))],
  [0x04, diversifyKey(MASTER.MAMK, encodeBcd(CARD_NUMBER))],
] as const;
const PIN_BLOCK = fromHex('313233343536FFFF');
const PUK_BLOCK = fromHex('3132333435363738');
const EP_LIMITS = encodePurseLimits({ maxBalance: 100_000, maxSinglePurchase: 50_000 });
const EP_ISSUER = encodeEpIssuerData({
  issuerId: CARD_INFO.issuerId,
  appVersion: 1,
  cardNumber: CARD_NUMBER,
  effectiveDate: CARD_INFO.effectiveDate,
  expiryDate: CARD_INFO.expiryDate,
  cardType: CARD_INFO.cardType,
});

/** The host side of one session, from the HSM's pure secure-messaging functions. */
class Host {
  readonly keys: SmKeys;
  chain: Buffer = Buffer.alloc(8);

  constructor(
    readonly rc: Uint8Array = RC,
    readonly rh: Uint8Array = RH,
  ) {
    this.keys = sessionKeys(transportKeyFor(TEST_MTRK, CSN), rc, rh);
  }

  authenticate(): Buffer {
    const command = externalAuthenticate(this.keys.mac, this.rc, this.rh);
    this.chain = command.cmac;
    return command.apdu;
  }

  wrap(ins: number, p1: number, p2: number, plaintext: Uint8Array = Buffer.alloc(0), le?: number): Buffer {
    const command = secureCommand(this.keys, this.chain, ins, p1, p2, plaintext, le);
    this.chain = command.cmac;
    return command.apdu;
  }

  putKey(keyId: number, key: Uint8Array, version = 1, kcv: Uint8Array = keyCheckValue(key)): Buffer {
    return this.wrap(0xd8, version, keyId, Buffer.concat([key, kcv]));
  }

  storeData(object: number, bytes: Uint8Array, offset = 0): Buffer {
    const header = Buffer.alloc(4);
    header.writeUInt16BE(object, 0);
    header.writeUInt16BE(offset, 2);
    return this.wrap(0xe2, 0x00, 0x00, Buffer.concat([header, bytes]));
  }

  /** STORE DATA commands of a whole object, 235 bytes each. */
  storeObject(object: number, bytes: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 235) out.push(this.storeData(object, bytes.subarray(at, at + 235), at));
    return out;
  }
}

function fixedRandom(bytes: Uint8Array): (length: number) => Buffer {
  return (length) => Buffer.from(Array.from({ length }, (_, i) => bytes[i % bytes.length]!));
}

function blankCard(profile: CardProfileKind = 'card', store: PersistentStore = new MemoryStore()): { card: ManagedCard; store: PersistentStore; bugs: unknown[] } {
  if (store.keys().length === 0) manufactureBlankCard(store, { profile, csn: CSN, transportKey: transportKeyFor(TEST_MTRK, CSN) });
  const bugs: unknown[] = [];
  const applications = profile === 'card' ? [idApplication, epApplication] : [psamApplication];
  const card = new ManagedCard({ store, applications, random: fixedRandom(RC), onInternalError: (err) => bugs.push(err) });
  card.powerOn();
  return { card, store, bugs };
}

function send(card: ManagedCard, apdu: Uint8Array): string {
  return toHex(card.transmit(apdu));
}

function sw(card: ManagedCard, apdu: Uint8Array): string {
  return send(card, apdu).slice(-4);
}

/** INITIALIZE and EXTERNAL AUTHENTICATE; returns the host side. */
function openSession(card: ManagedCard): Host {
  expect(send(card, INITIALIZE_CMD)).toBe(toHex(INITIALIZE_RSP));
  const host = new Host();
  expect(sw(card, host.authenticate())).toBe(SW_9000);
  return host;
}

let ca: CityCa;

/** Everything but GENERATE KEY PAIR, the certificate and END, in the station's order. */
function storeEverythingButTheKeyPair(card: ManagedCard, host: Host): void {
  for (const [keyId, key] of CARD_KEYS) expect(sw(card, host.putKey(keyId, key))).toBe(SW_9000);
  expect(sw(card, host.storeData(0xff01, PIN_BLOCK))).toBe(SW_9000);
  expect(sw(card, host.storeData(0xff81, PUK_BLOCK))).toBe(SW_9000);
  expect(sw(card, host.storeData(0x0101, encodeCardInfo(CARD_INFO)))).toBe(SW_9000);
  expect(sw(card, host.storeData(0x0102, encodeCardholder(CARDHOLDER)))).toBe(SW_9000);
  expect(sw(card, host.storeData(0x0212, EP_LIMITS))).toBe(SW_9000);
  expect(sw(card, host.storeData(0x0215, EP_ISSUER))).toBe(SW_9000);
}

/** GENERATE KEY PAIR, then the CA's certificate of the modulus. */
function generateAndCertify(card: ManagedCard, host: Host): { modulus: Buffer; certificate: Buffer } {
  const answer = card.transmit(host.wrap(0x46, 0x00, 0x00, Buffer.alloc(0), 0x00));
  expect(toHex(answer.subarray(-2))).toBe(SW_9000);
  const modulus = answer.subarray(0, -2);
  expect(modulus.length).toBe(256);
  const spki = createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: 'AQAB' }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  const certificate = issueCardCertificate({
    ca,
    cardNumber: CARD_NUMBER,
    subjectPublicKeyDer: spki,
    notBefore: NOW,
    notAfter: new Date('2036-11-23T00:00:00Z'),
    serial: '01',
  });
  return { modulus, certificate };
}

/** A whole personalization of a blank citizen card; returns the certificate. */
function personalize(card: ManagedCard): Buffer {
  const host = openSession(card);
  storeEverythingButTheKeyPair(card, host);
  const { certificate } = generateAndCertify(card, host);
  for (const apdu of host.storeObject(0x0103, certificate)) expect(sw(card, apdu)).toBe(SW_9000);
  expect(sw(card, host.wrap(0xf0, 0x00, 0x00))).toBe(SW_9000);
  return certificate;
}

beforeAll(() => {
  ca = createCityCa({ notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2046-01-01T00:00:00Z'), serial: '03' });
});

describe('a blank card', () => {
  it('holds CSN, transport key KT = E(MTRK, CSN) ‖ E(MTRK, NOT CSN) and life cycle BLANK', () => {
    const { store, card } = blankCard();
    expect(toHex(transportKeyFor(TEST_MTRK, CSN))).toBe(toHex(KT));
    expect(toHex(store.get(CARD_TRANSPORT_KEY)!)).toBe(toHex(KT));
    expect(toHex(store.get(CARD_CSN_KEY)!)).toBe(toHex(CSN));
    expect(toHex(store.get(CARD_LIFECYCLE_KEY)!)).toBe('01');
    expect(card.lifecycle).toBe('blank');
    expect(() => manufactureBlankCard(store, { profile: 'card', csn: CSN, transportKey: KT })).toThrow(StoreNotEmptyError);
  });

  it('answers 6985 to every application command', () => {
    const { card, bugs } = blankCard();
    for (const apdu of [SELECT_ID_CMD, SELECT_EP_CMD, READ_CARD_INFO_CMD, VERIFY_PIN_CMD, GET_CHALLENGE_CMD, GET_BALANCE_CMD, fromHex('FFCA000000')]) {
      expect(send(card, apdu), toHex(apdu)).toBe(SW_6985);
    }
    expect(send(card, fromHex('00A4'))).toBe('6700');
    expect(bugs).toEqual([]);
  });

  it('opens a session with the bytes the HSM computes: CSN ‖ RC ‖ card cryptogram, then EXTERNAL AUTHENTICATE', () => {
    const { card, store } = blankCard();
    expect(send(card, INITIALIZE_CMD)).toBe(toHex(INITIALIZE_RSP));
    expect(send(card, EXTERNAL_AUTHENTICATE_CMD)).toBe(SW_9000);
    expect(send(card, PUT_KEY_DPK_CMD)).toBe(SW_9000);
    expect(toHex(store.get('df/F043495459455001/key/DPK')!)).toBe(`01${toHex(CARD_KEYS[0][1])}`);
  });

  it('refuses EXTERNAL AUTHENTICATE out of order (6985), with a wrong cryptogram or MAC (6982, session closed), with wrong P1 P2 (6A86)', () => {
    const { card } = blankCard();
    expect(send(card, EXTERNAL_AUTHENTICATE_CMD)).toBe(SW_6985);

    const badCryptogram = Buffer.from(EXTERNAL_AUTHENTICATE_CMD);
    badCryptogram[5]! ^= 0x01;
    send(card, INITIALIZE_CMD);
    expect(send(card, badCryptogram)).toBe(SW_6982);
    expect(send(card, EXTERNAL_AUTHENTICATE_CMD)).toBe(SW_6985);

    const badMac = Buffer.from(EXTERNAL_AUTHENTICATE_CMD);
    badMac[20]! ^= 0x80;
    send(card, INITIALIZE_CMD);
    expect(send(card, badMac)).toBe(SW_6982);
    expect(send(card, PUT_KEY_DPK_CMD)).toBe(SW_6985);

    const badP1 = Buffer.from(EXTERNAL_AUTHENTICATE_CMD);
    badP1[2] = 0x01;
    send(card, INITIALIZE_CMD);
    expect(send(card, badP1)).toBe(SW_6A86);
    expect(send(card, EXTERNAL_AUTHENTICATE_CMD)).toBe(SW_9000);
    expect(send(card, EXTERNAL_AUTHENTICATE_CMD)).toBe(SW_6985);
    expect(send(card, PUT_KEY_DPK_CMD)).toBe(SW_9000);
  });

  it('answers 6985 to a secured command before EXTERNAL AUTHENTICATE', () => {
    const { card } = blankCard();
    expect(send(card, PUT_KEY_DPK_CMD)).toBe(SW_6985);
    send(card, INITIALIZE_CMD);
    expect(send(card, PUT_KEY_DPK_CMD)).toBe(SW_6985);
  });

  it('answers 6982 to a wrong C-MAC and closes the session', () => {
    const { card, store } = blankCard();
    const host = openSession(card);
    const forged = host.putKey(0x01, CARD_KEYS[0][1]);
    forged[forged.length - 1]! ^= 0x01;
    expect(send(card, forged)).toBe(SW_6982);
    expect(send(card, host.putKey(0x02, CARD_KEYS[1][1]))).toBe(SW_6985);
    expect(store.get('df/F043495459455001/key/DPK')).toBeUndefined();
  });

  it('answers 6982 to a replayed command, even one the card accepted', () => {
    const { card } = blankCard();
    const host = openSession(card);
    const first = host.putKey(0x01, CARD_KEYS[0][1]);
    expect(send(card, first)).toBe(SW_9000);
    expect(send(card, first)).toBe(SW_6982);
    expect(send(card, host.putKey(0x02, CARD_KEYS[1][1]))).toBe(SW_6985);
  });

  it('answers 6982 to a command sent out of its order in the chain', () => {
    const { card, store } = blankCard();
    const host = openSession(card);
    const second = [host.putKey(0x01, CARD_KEYS[0][1]), host.putKey(0x02, CARD_KEYS[1][1])][1]!;
    expect(send(card, second)).toBe(SW_6982);
    expect(store.get('df/F043495459455001/key/DLK')).toBeUndefined();
  });

  it('closes the session on power off, reset and SELECT', () => {
    for (const interrupt of ['powerOff', 'reset', 'select'] as const) {
      const { card } = blankCard();
      const host = openSession(card);
      if (interrupt === 'powerOff') card.powerOff();
      else if (interrupt === 'reset') card.reset();
      else expect(send(card, SELECT_ID_CMD)).toBe(SW_6985);
      expect(send(card, host.putKey(0x01, CARD_KEYS[0][1])), interrupt).toBe(SW_6985);
    }
  });

  it('PUT KEY checks the KCV, the key id and the key version; a refusal writes nothing and the chain goes on', () => {
    const { card, store } = blankCard();
    const host = openSession(card);
    const dpk = CARD_KEYS[0][1];
    expect(send(card, host.putKey(0x01, dpk, 1, fromHex('000000')))).toBe(SW_6A80);
    expect(send(card, host.putKey(0x11, dpk))).toBe(SW_6A86);
    expect(send(card, host.putKey(0x01, dpk, 0))).toBe(SW_6A86);
    expect(send(card, host.wrap(0xd8, 0x01, 0x01, dpk))).toBe(SW_6A80);
    expect(store.get('df/F043495459455001/key/DPK')).toBeUndefined();
    expect(send(card, host.putKey(0x01, dpk, 2))).toBe(SW_9000);
    expect(toHex(store.get('df/F043495459455001/key/DPK')!)).toBe(`02${toHex(dpk)}`);
  });

  it('STORE DATA assembles an object at increasing offsets; refuses gaps (6A80), overflow (6A84), unknown objects and bad PIN blocks (6A80)', () => {
    const { card, store } = blankCard();
    const host = openSession(card);
    const certKey = 'df/F043495459494401/ef/0003';
    expect(send(card, host.storeData(0x0103, Buffer.alloc(235, 0x30)))).toBe(SW_9000);
    expect(send(card, host.storeData(0x0103, Buffer.alloc(10, 0x31), 236))).toBe(SW_6A80);
    expect(send(card, host.storeData(0x0103, Buffer.alloc(10, 0x31), 235))).toBe(SW_9000);
    expect(store.get(certKey)!.length).toBe(245);
    expect(send(card, host.storeData(0x0103, Buffer.alloc(5, 0x32)))).toBe(SW_9000);
    expect(toHex(store.get(certKey)!)).toBe('3232323232');
    expect(send(card, host.storeData(0x0101, Buffer.alloc(60), 0))).toBe(SW_9000);
    expect(send(card, host.storeData(0x0101, Buffer.alloc(5), 60))).toBe(SW_6A84);
    expect(send(card, host.storeData(0x0316, fromHex('000000000001')))).toBe(SW_6A80);
    expect(send(card, host.storeData(0xff01, fromHex('3132FF3334FFFFFF')))).toBe(SW_6A80);
    expect(send(card, host.storeData(0xff01, fromHex('313233FFFFFFFFFF')))).toBe(SW_6A80);
    expect(send(card, host.storeData(0xff81, fromHex('313233343536FFFF')))).toBe(SW_6A80);
    expect(send(card, host.wrap(0xe2, 0x00, 0x00, fromHex('01010000')))).toBe(SW_6A80);
    expect(send(card, host.storeData(0xff01, PIN_BLOCK))).toBe(SW_9000);
    expect(toHex(store.get('df/F043495459494401/pin/01')!)).toBe(toHex(PIN_BLOCK));
    expect(toHex(store.get('df/F043495459494401/pin/01/tries')!)).toBe('03');
  });

  it('GENERATE KEY PAIR answers the modulus of the key the card keeps (exponent 65537)', () => {
    const { card, store } = blankCard();
    const host = openSession(card);
    const { modulus } = generateAndCertify(card, host);
    const kept = createPublicKey(createPrivateKey({ key: store.get('df/F043495459494401/key/auth')!, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
    expect(kept.n).toBe(modulus.toString('base64url'));
    expect(kept.e).toBe('AQAB');
  });

  it('END PERSONALIZATION answers 6985 while something is missing or inconsistent, and the session stays open', () => {
    const { card, store } = blankCard();
    const host = openSession(card);
    storeEverythingButTheKeyPair(card, host);
    expect(send(card, host.wrap(0xf0, 0x00, 0x00))).toBe(SW_6985);
    const { certificate } = generateAndCertify(card, host);
    expect(send(card, host.wrap(0xf0, 0x00, 0x00))).toBe(SW_6985);
    // A certificate of another key: complete, but not a working card.
    for (const apdu of host.storeObject(0x0103, certificate)) expect(send(card, apdu)).toBe(SW_9000);
    generateAndCertify(card, host);
    expect(send(card, host.wrap(0xf0, 0x00, 0x00))).toBe(SW_6985);
    expect(card.lifecycle).toBe('blank');
    // The EP and the ID application must name the same card.
    const other = encodeEpIssuerData({ ...readEpIssuer(), cardNumber: '1000000000000002' });
    const { certificate: good } = generateAndCertify(card, host);
    for (const apdu of host.storeObject(0x0103, good)) expect(send(card, apdu)).toBe(SW_9000);
    expect(send(card, host.storeData(0x0215, other))).toBe(SW_9000);
    expect(send(card, host.wrap(0xf0, 0x00, 0x00))).toBe(SW_6985);
    expect(send(card, host.storeData(0x0215, EP_ISSUER))).toBe(SW_9000);
    expect(send(card, host.wrap(0xf0, 0x00, 0x01))).toBe(SW_6A86);
    expect(send(card, host.wrap(0xf0, 0x00, 0x00))).toBe(SW_9000);
    expect(card.lifecycle).toBe('personalized');
    expect(store.get(CARD_TRANSPORT_KEY)).toBeUndefined();
  });

  it('a new session starts from a blank card: what an interrupted session wrote is wiped at EXTERNAL AUTHENTICATE', () => {
    const { card, store } = blankCard();
    const host = openSession(card);
    expect(send(card, host.putKey(0x01, CARD_KEYS[0][1]))).toBe(SW_9000);
    expect(send(card, host.storeData(0xff01, PIN_BLOCK))).toBe(SW_9000);
    card.powerOff();
    expect(store.keys().filter((k) => k.startsWith('df/'))).toHaveLength(3);
    send(card, INITIALIZE_CMD);
    expect(store.keys().filter((k) => k.startsWith('df/'))).toHaveLength(3);
    expect(send(card, new Host().authenticate())).toBe(SW_9000);
    expect(store.keys()).toEqual(['cm/csn', 'cm/lifecycle', 'cm/profile', 'cm/transport']);
  });
});

function readEpIssuer(): { issuerId: string; appVersion: number; cardNumber: string; effectiveDate: string; expiryDate: string; cardType: number } {
  return { issuerId: CARD_INFO.issuerId, appVersion: 1, cardNumber: CARD_NUMBER, effectiveDate: CARD_INFO.effectiveDate, expiryDate: CARD_INFO.expiryDate, cardType: CARD_INFO.cardType };
}

describe('a personalized card', () => {
  let store: PersistentStore;
  let certificate: Buffer;

  beforeAll(() => {
    const blank = blankCard();
    store = blank.store;
    certificate = personalize(blank.card);
  });

  it('answers 6985 to every personalization command, for good (also after a power cycle)', () => {
    const card = new ManagedCard({ store, applications: [idApplication, epApplication], random: fixedRandom(RC) });
    const host = new Host();
    for (const apdu of [INITIALIZE_CMD, EXTERNAL_AUTHENTICATE_CMD, PUT_KEY_DPK_CMD, host.storeData(0xff01, PIN_BLOCK), host.wrap(0x46, 0, 0, Buffer.alloc(0), 0), host.wrap(0xf0, 0, 0)]) {
      expect(send(card, apdu), toHex(apdu)).toBe(SW_6985);
    }
    expect(card.lifecycle).toBe('personalized');
    expect(store.get(CARD_TRANSPORT_KEY)).toBeUndefined();
  });

  it('works as a normal card: SELECT, card info, PIN, card authentication with the certified key, purse', () => {
    const card = new ManagedCard({ store, applications: [idApplication, epApplication], random: fixedRandom(RC) });
    expect(sw(card, SELECT_ID_CMD)).toBe(SW_9000);
    expect(send(card, READ_CARD_INFO_CMD)).toBe(`${toHex(encodeCardInfo(CARD_INFO))}6282`);
    expect(send(card, VERIFY_PIN_CMD)).toBe(SW_9000);
    const challenge = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
    const answer = card.transmit(fromHex(`0088000120${toHex(challenge)}00`));
    expect(toHex(answer.subarray(-2))).toBe(SW_9000);
    const key = new X509Certificate(certificate).publicKey;
    expect(verify('sha256', authSignedMessage(1, challenge), { key, padding: constants.RSA_PKCS1_PADDING }, answer.subarray(0, -2))).toBe(true);
    expect(sw(card, SELECT_EP_CMD)).toBe(SW_9000);
    expect(send(card, GET_BALANCE_CMD)).toBe('000000009000');
  });

  it('holds the same store keys as a card personalized by the test profiles, with the same values where they are not random', () => {
    const reference = new MemoryStore();
    personalizeTestProfile(reference, { issueCertificate: cardCertificateIssuer(ca), now: NOW, timeZone: 'UTC', cardNumber: CARD_NUMBER, expiryDate: CARD_INFO.expiryDate });
    personalizeEpTestProfile(reference, { cardNumber: CARD_NUMBER, balance: 0, now: NOW, timeZone: 'UTC', expiryDate: CARD_INFO.expiryDate });
    const applicationKeys = (s: PersistentStore): string[] => s.keys().filter((k) => !k.startsWith('cm/'));
    expect(applicationKeys(store)).toEqual(applicationKeys(reference));
    const random = new Set(['df/F043495459494401/key/auth', 'df/F043495459494401/ef/0003']);
    for (const key of applicationKeys(reference).filter((k) => !random.has(k))) {
      expect(toHex(store.get(key)!), key).toBe(toHex(reference.get(key)!));
    }
    expect(store.keys().filter((k) => k.startsWith('cm/'))).toEqual(['cm/csn', 'cm/lifecycle', 'cm/profile']);
  });
});

describe('a blank PSAM', () => {
  const MPK_01 = 'df/F04349545953414D/key/MPK/01';
  const TERMINAL = fromHex('000000000001');

  it('is personalized with MPK per key version, MAMK and the terminal number; END needs all three', () => {
    const { card, store, bugs } = blankCard('psam');
    expect(send(card, SELECT_PSAM_CMD)).toBe(SW_6985);
    const host = openSession(card);
    // Not a PSAM command: refused before the C-MAC is looked at, so the chain stays where it was.
    const chain = host.chain;
    expect(send(card, host.wrap(0x46, 0, 0, Buffer.alloc(0), 0))).toBe('6D00');
    host.chain = chain;
    expect(send(card, host.putKey(0x01, MASTER.MPK))).toBe(SW_6A86);
    expect(send(card, host.storeData(0xff01, PIN_BLOCK))).toBe(SW_6A80);
    expect(send(card, host.putKey(0x11, MASTER.MPK, 1))).toBe(SW_9000);
    expect(send(card, host.wrap(0xf0, 0, 0))).toBe(SW_6985);
    expect(send(card, host.putKey(0x14, MASTER.MAMK, 1))).toBe(SW_9000);
    expect(send(card, host.wrap(0xf0, 0, 0))).toBe(SW_6985);
    expect(send(card, host.storeData(0x0316, TERMINAL.subarray(0, 5)))).toBe(SW_9000);
    expect(send(card, host.wrap(0xf0, 0, 0))).toBe(SW_6985);
    expect(send(card, host.storeData(0x0316, TERMINAL))).toBe(SW_9000);
    expect(send(card, host.putKey(0x11, MASTER.MPK, 2))).toBe(SW_9000);
    expect(send(card, host.wrap(0xf0, 0, 0))).toBe(SW_9000);
    expect(card.lifecycle).toBe('personalized');
    expect(toHex(store.get(MPK_01)!)).toBe(toHex(MASTER.MPK));

    const reference = new MemoryStore();
    personalizePsamTestProfile(reference, { terminalNumber: '000000000001', keyVersions: [1, 2] });
    const applicationKeys = (s: PersistentStore): string[] => s.keys().filter((k) => !k.startsWith('cm/'));
    expect(applicationKeys(store)).toEqual(applicationKeys(reference));
    for (const key of applicationKeys(reference)) expect(toHex(store.get(key)!), key).toBe(toHex(reference.get(key)!));

    expect(send(card, SELECT_PSAM_CMD).slice(-4)).toBe(SW_9000);
    expect(send(card, READ_TERMINAL_CMD)).toBe('0000000000019000');
    expect(send(card, INITIALIZE_CMD)).toBe(SW_6985);
    expect(bugs).toEqual([]);
  });
});

describe('a store personalized by the test profile, behind the card manager', () => {
  it('answers 6985 to the personalization commands and runs the applications', () => {
    const store = new MemoryStore();
    personalizeTestProfile(store, { issueCertificate: cardCertificateIssuer(ca), now: NOW, timeZone: 'UTC' });
    const card = new ManagedCard({ store, applications: [idApplication], random: fixedRandom(RC) });
    expect(card.lifecycle).toBeUndefined();
    expect(send(card, INITIALIZE_CMD)).toBe(SW_6985);
    expect(sw(card, SELECT_ID_CMD)).toBe(SW_9000);
    expect(send(card, VERIFY_PIN_CMD)).toBe(SW_9000);
  });
});
