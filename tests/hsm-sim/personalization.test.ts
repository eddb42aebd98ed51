import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diversifyKey, fromHex, keyCheckValue, toHex } from '@citycard/protocols';
import type { PinMailer } from '../../hsm-sim/src/personalization/pinMailer.js';
import { STORE_DATA_CHUNK } from '../../hsm-sim/src/commands/personalization.js';
import { testLmkComponents } from '../../hsm-sim/src/lmk/testComponents.js';
import { CARD_NUMBER, DPK, DTK, TEST_MASTER_KEYS, type TestHsm, countingRandom, makeTestHsm } from './fixtures.js';
import { CardSession, e, not } from './smCard.js';

const MTRK = fromHex(TEST_MASTER_KEYS.MTRK);
const CSN = fromHex('CAFE000000000001');
const RC = fromHex('A0A1A2A3A4A5A6A7');
/** What the counting random source gives as RH for the first session of a fresh HSM. */
const RH = fromHex('1112131415161718');
const CARD_CRYPTOGRAM = fromHex('3971BDE2A2D93C62');
const EXTERNAL_AUTHENTICATE = fromHex('84 82 00 00 10 C8F3A9E4852E7368 4617FED5C1D00CBF');
const EF15 = fromHex('0000000000000001 02 01 1000000000000001 20261101 20361031 00 000000');

async function openSession(hsm: TestHsm, target: { kind: 'card'; cardNumber: Uint8Array } | { kind: 'psam' } = { kind: 'card', cardNumber: CARD_NUMBER }, who = 'bureau') {
  const bureau = hsm.as('bureau', who);
  const { session, hostRandom } = await bureau.startPersonalization({ target });
  const card = new CardSession(MTRK, CSN, RC, hostRandom);
  const apdu = await bureau.openPersonalization({ session, csn: CSN, cardRandom: RC, cardCryptogram: card.cardCryptogram() });
  card.authenticate(apdu);
  return { bureau, session, card, apdu };
}

describe('personalization secure messaging, HSM side', () => {
  let hsm: TestHsm;
  beforeAll(() => {
    hsm = makeTestHsm({ random: countingRandom(), sessions: { idleTimeoutMs: 60_000 } });
  });
  afterAll(() => hsm.dispose());

  it('opens a session: RH from the HSM, card cryptogram checked, EXTERNAL AUTHENTICATE as computed independently', async () => {
    const bureau = hsm.as('bureau');
    const { session, hostRandom } = await bureau.startPersonalization({ target: { kind: 'card', cardNumber: CARD_NUMBER } });
    expect(toHex(hostRandom)).toBe(toHex(RH));
    const card = new CardSession(MTRK, CSN, RC, RH);
    // The independent model agrees with the spec's diversification formula for KT.
    expect(toHex(card.kt)).toBe(toHex(diversifyKey(MTRK, CSN)));
    expect(toHex(card.cardCryptogram())).toBe(toHex(CARD_CRYPTOGRAM));
    const apdu = await bureau.openPersonalization({ session, csn: CSN, cardRandom: RC, cardCryptogram: CARD_CRYPTOGRAM });
    expect(toHex(apdu)).toBe(toHex(EXTERNAL_AUTHENTICATE));
    expect(toHex(apdu)).toBe(toHex(card.externalAuthenticate()));
    await bureau.abortPersonalization({ session });
  });

  it('wraps PUT KEY of the card keys diversified inside the HSM, each with its KCV, on the MAC chain', async () => {
    const { bureau, session, card } = await openSession(hsm);
    const expected = [
      [0x01, DPK],
      [0x02, diversifyKey(fromHex(TEST_MASTER_KEYS.MLK), CARD_NUMBER)],
      [0x03, DTK],
      [0x04, diversifyKey(fromHex(TEST_MASTER_KEYS.MAMK), CARD_NUMBER)],
    ] as const;
    for (const [keyId, key] of expected) {
      const apdu = await bureau.wrapPutKey({ session, keyId, keyVersion: 1 });
      expect(toHex(apdu.subarray(0, 5))).toBe(`84D801${toHex(Buffer.from([keyId]))}20`);
      expect(apdu.length).toBe(5 + 0x20);
      const { ins, p1, p2, plaintext } = card.receive(apdu);
      expect([ins, p1, p2]).toEqual([0xd8, 0x01, keyId]);
      expect(toHex(plaintext)).toBe(toHex(Buffer.concat([key, keyCheckValue(key)])));
      // The station sees only ciphertext: no clear key in the APDU.
      expect(apdu.includes(key.subarray(0, 8))).toBe(false);
    }
    await bureau.abortPersonalization({ session });
  });

  it('wraps STORE DATA in chunks at increasing offsets, and the PIN and PUK chosen by the HSM', async () => {
    const { bureau, session, card } = await openSession(hsm);
    const [ef15] = await bureau.wrapStoreData({ session, object: 0x0215, data: EF15 });
    expect(card.receive(ef15!).plaintext).toEqual(Buffer.concat([fromHex('0215 0000'), EF15]));

    const certificate = Buffer.alloc(500, 0x30);
    const chunks = await bureau.wrapStoreData({ session, object: 0x0103, data: certificate });
    expect(chunks.length).toBe(3);
    const parts = chunks.map((apdu) => card.receive(apdu).plaintext);
    expect(parts.map((p) => toHex(p.subarray(0, 4)))).toEqual(['01030000', `0103${STORE_DATA_CHUNK.toString(16).padStart(4, '0').toUpperCase()}`, '010301D6']);
    expect(Buffer.concat(parts.map((p) => p.subarray(4)))).toEqual(certificate);
    expect(chunks[0]!.length).toBe(5 + 240 + 8);

    const [pin, puk] = await bureau.wrapStorePins({ session });
    expect(toHex(card.receive(pin!).plaintext)).toBe('FF010000313233343536FFFF');
    expect(toHex(card.receive(puk!).plaintext)).toBe('FF8100003132333435363738');

    const generate = await bureau.wrapGenerateKeyPair({ session });
    expect(toHex(generate.subarray(0, 5))).toBe('8446000008');
    expect(card.receive(generate)).toMatchObject({ ins: 0x46, plaintext: Buffer.alloc(0), le: 0x00 });

    const end = await bureau.wrapEndPersonalization({ session });
    expect(toHex(end.subarray(0, 5))).toBe('84F0000008');
    expect(end.length).toBe(13);
    expect(card.receive(end).ins).toBe(0xf0);
    await expect(bureau.wrapGenerateKeyPair({ session })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('refuses the PIN and PUK objects from the station', async () => {
    const { bureau, session } = await openSession(hsm);
    await expect(bureau.wrapStoreData({ session, object: 0xff01, data: fromHex('313233343536FFFF') })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(bureau.wrapStoreData({ session, object: 0xff81, data: fromHex('3132333435363738') })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await bureau.abortPersonalization({ session });
  });

  it('closes the session on a wrong card cryptogram', async () => {
    const bureau = hsm.as('bureau');
    const { session, hostRandom } = await bureau.startPersonalization({ target: { kind: 'card', cardNumber: CARD_NUMBER } });
    const forged = new CardSession(fromHex('00112233445566778899AABBCCDDEEFF'), CSN, RC, hostRandom).cardCryptogram();
    await expect(bureau.openPersonalization({ session, csn: CSN, cardRandom: RC, cardCryptogram: forged })).rejects.toMatchObject({
      name: 'HsmSessionError',
      code: 'CRYPTOGRAM_INVALID',
    });
    await expect(bureau.openPersonalization({ session, csn: CSN, cardRandom: RC, cardCryptogram: forged })).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
  });

  it('refuses secured commands before the channel is open', async () => {
    const bureau = hsm.as('bureau');
    const { session } = await bureau.startPersonalization({ target: { kind: 'card', cardNumber: CARD_NUMBER } });
    await expect(bureau.wrapPutKey({ session, keyId: 1, keyVersion: 1 })).rejects.toMatchObject({ code: 'SESSION_STATE' });
    await bureau.abortPersonalization({ session });
  });

  it('binds a session to the client that started it', async () => {
    const { bureau, session } = await openSession(hsm, undefined, 'station-a');
    const other = hsm.as('bureau', 'station-b');
    await expect(other.wrapPutKey({ session, keyId: 1, keyVersion: 1 })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await expect(other.abortPersonalization({ session })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect((await bureau.wrapPutKey({ session, keyId: 1, keyVersion: 1 })).length).toBe(37);
    await bureau.abortPersonalization({ session });
  });

  it('forgets a session idle past its timeout', async () => {
    const { bureau, session } = await openSession(hsm);
    hsm.clock.advance(59_000);
    await bureau.wrapPutKey({ session, keyId: 1, keyVersion: 1 });
    hsm.clock.advance(60_000);
    await expect(bureau.wrapPutKey({ session, keyId: 2, keyVersion: 1 })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('loads a PSAM with MPK and MAMK themselves, and refuses card-only commands', async () => {
    const { bureau, session, card } = await openSession(hsm, { kind: 'psam' });
    const mpk = card.receive(await bureau.wrapPutKey({ session, keyId: 0x11, keyVersion: 1 }));
    expect([mpk.ins, mpk.p1, mpk.p2]).toEqual([0xd8, 0x01, 0x11]);
    expect(toHex(mpk.plaintext)).toBe(`${TEST_MASTER_KEYS.MPK}${toHex(keyCheckValue(fromHex(TEST_MASTER_KEYS.MPK)))}`);
    const mamk = card.receive(await bureau.wrapPutKey({ session, keyId: 0x14, keyVersion: 1 }));
    expect(toHex(mamk.plaintext.subarray(0, 16))).toBe(TEST_MASTER_KEYS.MAMK);
    await expect(bureau.wrapPutKey({ session, keyId: 0x01, keyVersion: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(bureau.wrapStorePins({ session })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(bureau.wrapGenerateKeyPair({ session })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const [terminal] = await bureau.wrapStoreData({ session, object: 0x0316, data: fromHex('000000000001') });
    expect(toHex(card.receive(terminal!).plaintext)).toBe('03160000000000000001');
    await bureau.abortPersonalization({ session });
  });

  it('refuses a card key id in a card session that names a PSAM key, and unknown key versions', async () => {
    const { bureau, session } = await openSession(hsm);
    await expect(bureau.wrapPutKey({ session, keyId: 0x11, keyVersion: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(bureau.wrapPutKey({ session, keyId: 0x01, keyVersion: 9 })).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await bureau.abortPersonalization({ session });
  });
});

describe('personalization PINs in the production profile', () => {
  it('refuses PINs without a PIN mailer, and otherwise delivers the HSM-chosen PIN to the mailer only', async () => {
    const delivered: { card: string; pin: string; puk: string }[] = [];
    const mailer: PinMailer = { deliver: (card, pin, puk) => delivered.push({ card, pin, puk }) };
    for (const withMailer of [false, true]) {
      const hsm = makeTestHsm({ profile: 'production', components: testLmkComponents(), ...(withMailer ? { pinMailer: mailer } : {}) });
      try {
        const mtrk = fromHex(TEST_MASTER_KEYS.MTRK);
        await hsm.as('admin').importKey({
          label: 'MTRK',
          version: 1,
          usage: 'transport-master',
          components: [{ value: mtrk, kcv: toHex(keyCheckValue(mtrk)) }],
        });
        const { bureau, session, card } = await openSession(hsm);
        if (!withMailer) {
          await expect(bureau.wrapStorePins({ session })).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
          continue;
        }
        const [pin, puk] = await bureau.wrapStorePins({ session });
        expect(delivered).toHaveLength(1);
        expect(delivered[0]!.card).toBe('1000000000000001');
        expect(delivered[0]!.pin).toMatch(/^[0-9]{6}$/);
        expect(delivered[0]!.puk).toMatch(/^[0-9]{8}$/);
        expect(card.receive(pin!).plaintext.subarray(4, 10).toString('ascii')).toBe(delivered[0]!.pin);
        expect(card.receive(puk!).plaintext.subarray(4).toString('ascii')).toBe(delivered[0]!.puk);
      } finally {
        hsm.dispose();
      }
    }
  });
});

// Keeps the independent model honest: its E and NOT are the spec's.
describe('independent secure-messaging model', () => {
  it('derives S-ENC and S-MAC halves as E(KT, RC), E(KT, RH), E(KT, NOT RC), E(KT, NOT RH)', () => {
    const card = new CardSession(MTRK, CSN, RC, RH);
    expect(card.sEnc.subarray(0, 8)).toEqual(e(card.kt, RC));
    expect(card.sMac.subarray(8)).toEqual(e(card.kt, not(RH)));
    expect(toHex(not(fromHex('00FF0F')))).toBe('FF00F0');
  });
});
