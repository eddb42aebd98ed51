import { type KeyObject, X509Certificate, constants, createHash, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createCityCa, issueCardCertificate } from '@citycard/hsm-sim/ca';
import { AUTH_MODE, type AuthMode, authSignedMessage, fromHex } from '@citycard/protocols';
import { beforeAll, describe, expect, it } from 'vitest';
import { NonceRepository } from '../../backend/src/data/nonceRepository.js';
import {
  IdentityRefusedError,
  IdentityVerification,
  type IdentityProof,
  verifyIdentityAssertion,
} from '../../backend/src/domain/identity/index.js';
import { TEST_PUBLIC_KEY, TEST_SIGNING_KEY, fixedClock, hotlistDatabase } from './hotlistTestKit.js';

const CARD_NUMBER = '1000000000000001';
const OTHER_CARD_NUMBER = '1000000000000002';
const TERMINAL = 'term-library-01';
const SERVICE_POINT = 'library-central';
const NOW = '2026-11-23T12:00:00.000Z';
/** The nonce the fake random source hands out first. */
const NONCE_1 = fromHex('A1'.repeat(32));
const JTI_BYTES = fromHex('B2'.repeat(16));

type Ca = ReturnType<typeof createCityCa>;
let ca: Ca;
let otherCa: Ca;
let cardKey: KeyObject;
let cardCert: Buffer;

function certificateFor(issuer: Ca, cardNumber: string, key: KeyObject, notAfter = new Date('2031-01-01T00:00:00Z')): Buffer {
  return issueCardCertificate({
    ca: issuer,
    cardNumber,
    subjectPublicKeyDer: createPublicKey(key).export({ type: 'spki', format: 'der' }),
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter,
    serial: randomBytes(8),
  });
}

/** What the card answers to INTERNAL AUTHENTICATE with P2 = mode. */
function cardSigns(key: KeyObject, nonce: Uint8Array, mode: AuthMode = AUTH_MODE.cardholder): Buffer {
  return sign('sha256', authSignedMessage(mode, nonce), { key, padding: constants.RSA_PKCS1_PADDING });
}

beforeAll(() => {
  ca = createCityCa({ notBefore: new Date('2025-01-01T00:00:00Z') });
  otherCa = createCityCa({ notBefore: new Date('2025-01-01T00:00:00Z'), commonName: 'Elsewhere CA' });
  cardKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  cardCert = certificateFor(ca, CARD_NUMBER, cardKey);
});

function setup(states: Record<string, string> = { [CARD_NUMBER]: 'active' }) {
  const db = hotlistDatabase();
  const clock = fixedClock(NOW);
  // First nonce and first assertion id are fixtures; later ones are random.
  const fixtures = new Map<number, Buffer>([[32, NONCE_1], [16, JTI_BYTES]]);
  const service = new IdentityVerification({
    nonces: new NonceRepository(db),
    caCertificate: new X509Certificate(ca.certificatePem),
    cardStatus: (card) => states[card],
    cardholders: async (card) => (card === CARD_NUMBER ? { id: 'ch-42', name: 'Ana Müller' } : undefined),
    signingKey: TEST_SIGNING_KEY,
    now: clock.now,
    random: (length) => {
      const fixture = fixtures.get(length);
      fixtures.delete(length);
      return fixture ?? randomBytes(length);
    },
  });
  const proof = (nonce: Uint8Array, overrides: Partial<IdentityProof> = {}): IdentityProof => ({
    terminalId: TERMINAL,
    servicePoint: SERVICE_POINT,
    nonce,
    cardNumber: CARD_NUMBER,
    certificateDer: cardCert,
    signature: cardSigns(cardKey, nonce),
    ...overrides,
  });
  return { db, clock, service, proof };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof IdentityRefusedError) return err.reason;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('identity verification', () => {
  it('issues a 32-byte nonce bound to terminal and service point, stored only as its SHA-256', async () => {
    const { service, db } = setup();
    const { nonce, expiresAt } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
    expect(nonce).toEqual(NONCE_1);
    expect(expiresAt.toISOString()).toBe('2026-11-23T12:01:00.000Z');
    const rows = db.prepare('SELECT * FROM identity_nonces').all();
    expect(rows).toEqual([{
      nonce_hash: createHash('sha256').update(NONCE_1).digest('hex'),
      terminal_id: TERMINAL,
      service_point: SERVICE_POINT,
      created_at: NOW,
      expires_at: '2026-11-23T12:01:00.000Z',
      used_at: null,
    }]);
  });

  it('vouches for the cardholder at the service point with a 5-minute signed assertion', async () => {
    const { service, proof, clock } = setup();
    const { nonce } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
    clock.advance(10_000);
    const result = await service.verify(proof(nonce));
    const iat = Date.parse(NOW) / 1000 + 10;
    expect(result.claims).toEqual({
      iss: 'citycard-backend', sub: 'ch-42', name: 'Ana Müller', card: CARD_NUMBER, spt: SERVICE_POINT,
      trm: TERMINAL, amr: ['pin', 'hwk'], iat, exp: iat + 300, jti: JTI_BYTES.toString('base64url'),
    });
    expect(result.expiresAt.toISOString()).toBe('2026-11-23T12:05:10.000Z');
    expect(verifyIdentityAssertion(result.assertion, TEST_PUBLIC_KEY, { now: clock.now(), servicePoint: SERVICE_POINT })).toEqual(result.claims);
  });

  it('lets services refuse an expired, foreign or tampered assertion', async () => {
    const { service, proof, clock } = setup();
    const { nonce } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
    const { assertion } = await service.verify(proof(nonce));
    const check = (token: string, now: Date, servicePoint?: string) => () =>
      verifyIdentityAssertion(token, TEST_PUBLIC_KEY, { now, ...(servicePoint === undefined ? {} : { servicePoint }) });
    expect(check(assertion, new Date(Date.parse(NOW) + 300_000))).toThrow(expect.objectContaining({ reason: 'EXPIRED' }));
    expect(check(assertion, clock.now(), 'swimming-pool')).toThrow(expect.objectContaining({ reason: 'WRONG_SERVICE_POINT' }));
    const [h, p, s] = assertion.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), name: 'Mallory' })).toString('base64url');
    expect(check(`${h}.${forged}.${s}`, clock.now())).toThrow(expect.objectContaining({ reason: 'SIGNATURE_INVALID' }));
    expect(check('a.b', clock.now())).toThrow(expect.objectContaining({ reason: 'MALFORMED' }));
  });

  it('refuses NONCE_UNKNOWN for a nonce never issued or of the wrong length', async () => {
    const { service, proof } = setup();
    expect(await refusal(service.verify(proof(randomBytes(32))))).toBe('NONCE_UNKNOWN');
    expect(await refusal(service.verify(proof(randomBytes(16))))).toBe('NONCE_UNKNOWN');
  });

  it('answers the nonce verdict before the certificate and signature ones', async () => {
    const { service, proof } = setup();
    const garbage = { certificateDer: Buffer.from('30820000', 'hex'), signature: Buffer.alloc(256) };
    expect(await refusal(service.verify(proof(randomBytes(32), garbage)))).toBe('NONCE_UNKNOWN');
    const { nonce } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
    expect(await refusal(service.verify(proof(nonce, { terminalId: 'term-pool-07', ...garbage })))).toBe('NONCE_WRONG_TERMINAL');
    expect(await refusal(service.verify(proof(nonce, garbage)))).toBe('CERT_INVALID');
    expect(await refusal(service.verify(proof(nonce)))).toBe('NONCE_REPLAYED');
  });

  it('refuses NONCE_EXPIRED at 60 s', async () => {
    const { service, proof, clock } = setup();
    const { nonce } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
    clock.advance(60_000);
    expect(await refusal(service.verify(proof(nonce)))).toBe('NONCE_EXPIRED');
    expect(service.purgeExpiredNonces()).toBe(0);
    clock.advance(1);
    expect(service.purgeExpiredNonces()).toBe(1);
    expect(await refusal(service.verify(proof(nonce)))).toBe('NONCE_UNKNOWN');
  });

  it('refuses NONCE_REPLAYED after a success and after a failed attempt', async () => {
    const { service, proof } = setup();
    const { nonce } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
    await service.verify(proof(nonce));
    expect(await refusal(service.verify(proof(nonce)))).toBe('NONCE_REPLAYED');
    const second = (await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT })).nonce;
    expect(await refusal(service.verify(proof(second, { signature: Buffer.alloc(256) })))).toBe('SIGNATURE_INVALID');
    expect(await refusal(service.verify(proof(second)))).toBe('NONCE_REPLAYED');
  });

  it('refuses NONCE_WRONG_TERMINAL for another terminal or service point without using the nonce up', async () => {
    const { service, proof } = setup();
    const { nonce } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
    expect(await refusal(service.verify(proof(nonce, { terminalId: 'term-pool-07' })))).toBe('NONCE_WRONG_TERMINAL');
    expect(await refusal(service.verify(proof(nonce, { servicePoint: 'swimming-pool' })))).toBe('NONCE_WRONG_TERMINAL');
    expect((await service.verify(proof(nonce))).claims.sub).toBe('ch-42');
  });

  it('refuses CARD_NOT_ACTIVE for a blocked or unknown card', async () => {
    const blocked = setup({ [CARD_NUMBER]: 'blocked' });
    const n1 = (await blocked.service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT })).nonce;
    expect(await refusal(blocked.service.verify(blocked.proof(n1)))).toBe('CARD_NOT_ACTIVE');
    const unknown = setup({});
    const n2 = (await unknown.service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT })).nonce;
    expect(await refusal(unknown.service.verify(unknown.proof(n2)))).toBe('CARD_NOT_ACTIVE');
  });

  it('refuses CERT_INVALID for another CA, another card number, an expired or garbage certificate', async () => {
    const { service, proof } = setup({ [CARD_NUMBER]: 'active', [OTHER_CARD_NUMBER]: 'active' });
    const attempt = async (overrides: Partial<IdentityProof>) => {
      const { nonce } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
      return refusal(service.verify(proof(nonce, overrides)));
    };
    expect(await attempt({ certificateDer: certificateFor(otherCa, CARD_NUMBER, cardKey) })).toBe('CERT_INVALID');
    expect(await attempt({ certificateDer: certificateFor(ca, OTHER_CARD_NUMBER, cardKey) })).toBe('CERT_INVALID');
    expect(await attempt({ certificateDer: certificateFor(ca, CARD_NUMBER, cardKey, new Date('2026-06-01T00:00:00Z')) })).toBe('CERT_INVALID');
    expect(await attempt({ certificateDer: Buffer.from('30820000', 'hex') })).toBe('CERT_INVALID');
  });

  it('refuses SIGNATURE_INVALID for another key, card (not cardholder) authentication, or another nonce', async () => {
    const { service, proof } = setup();
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const attempt = async (signature: (nonce: Buffer) => Buffer) => {
      const { nonce } = await service.issueNonce({ terminalId: TERMINAL, servicePoint: SERVICE_POINT });
      return refusal(service.verify(proof(nonce, { signature: signature(nonce) })));
    };
    expect(await attempt((n) => cardSigns(otherKey, n))).toBe('SIGNATURE_INVALID');
    expect(await attempt((n) => cardSigns(cardKey, n, AUTH_MODE.card))).toBe('SIGNATURE_INVALID');
    expect(await attempt(() => cardSigns(cardKey, randomBytes(32)))).toBe('SIGNATURE_INVALID');
  });

  it('refuses to start with a CA certificate that is not a CA', () => {
    expect(() => new IdentityVerification({
      nonces: new NonceRepository(hotlistDatabase()),
      caCertificate: cardCert,
      cardStatus: () => 'active',
      cardholders: () => undefined,
      signingKey: TEST_SIGNING_KEY,
    })).toThrow(expect.objectContaining({ reason: 'CA_NOT_A_CA' }));
  });
});
