/**
 * Identity verification over HTTP: nonce, card signature, assertion; each refusal answered 403
 * with its reason; the cardholder read logged with purpose 'service' for the terminal.
 */
import { type KeyObject, constants, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCityCa, issueCardCertificate } from '@citycard/hsm-sim/ca';
import { AUTH_MODE, type AuthMode, authSignedMessage, ed25519PublicKeyFromRaw, fromHex, toHex } from '@citycard/protocols';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendApp, createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { CardRepository } from '../../backend/src/data/cardRepository.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { verifyIdentityAssertion } from '../../backend/src/domain/identity/index.js';
import { CITY_CA_CERTIFICATE_FILE } from '../../backend/src/http/terminalServices.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

const NOW = '2026-11-23T12:00:00.000Z';
const TERMINAL_A = '300000000001';
const TERMINAL_B = '300000000002';
const SERVICE_POINT = 'library-central';
const ACTIVE_CARD = '1000000000000011';
const BLOCKED_CARD = '1000000000000012';
const HOLDER_NAME = 'Maria Müller-Lüdenscheidt';

let dir: string;
let db: Db;
let built: BackendApp;
let server: RunningServer;
let credentialA: string;
let credentialB: string;
let holderId: string;
let t = Date.parse(NOW);
const clock = (): Date => new Date(t);

type Ca = ReturnType<typeof createCityCa>;
let ca: Ca;
let cardKey: KeyObject;

function certificateFor(issuer: Ca, cardNumber: string): Buffer {
  return issueCardCertificate({
    ca: issuer,
    cardNumber,
    subjectPublicKeyDer: createPublicKey(cardKey).export({ type: 'spki', format: 'der' }),
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2031-01-01T00:00:00Z'),
    serial: randomBytes(8),
  });
}

const cardSigns = (nonce: Uint8Array, mode: AuthMode = AUTH_MODE.cardholder): Buffer =>
  sign('sha256', authSignedMessage(mode, nonce), { key: cardKey, padding: constants.RSA_PKCS1_PADDING });

async function post(url: string, credential: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function nonceFor(credential: string, servicePoint = SERVICE_POINT): Promise<string> {
  const res = await post('/api/v1/identity/nonces', credential, { servicePoint });
  expect(res.status).toBe(201);
  return res.json.nonce as string;
}

function proof(nonce: string, overrides: Record<string, unknown> = {}) {
  return {
    servicePoint: SERVICE_POINT,
    nonce,
    cardNumber: ACTIVE_CARD,
    certificate: certificateFor(ca, ACTIVE_CARD).toString('base64'),
    signature: toHex(cardSigns(fromHex(nonce))),
    ...overrides,
  };
}

beforeAll(async () => {
  ca = createCityCa({ notBefore: new Date('2025-01-01T00:00:00Z') });
  cardKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-identity-routes-'));
  writeFileSync(path.join(dir, CITY_CA_CERTIFICATE_FILE), ca.certificatePem);
  db = openDatabase(dir);
  migrate(db);
  built = createApp({ config: loadConfig({}, { dataDir: dir, redisUrl: '' }), db, clock });
  const { terminals } = built.context.terminalServices;
  const merchant = terminals.registerMerchant({ name: 'Central Library', category: 'library' }, 'test');
  credentialA = terminals.registerTerminal({ terminalNumber: TERMINAL_A, merchantId: merchant.id, mode: 'kiosk', location: 'Desk 1' }, 'test').credential;
  credentialB = terminals.registerTerminal({ terminalNumber: TERMINAL_B, merchantId: merchant.id, mode: 'kiosk', location: 'Desk 2' }, 'test').credential;
  holderId = built.context.cardholders.enroll(
    { kind: 'floating', fullName: HOLDER_NAME, birthDate: '1990-03-07', address: 'Room 5, Building 3', residencePermit: { number: 'QD-2025-000123', expiresOn: '2027-01-31' } },
    'test',
  ).id;
  const cards = new CardRepository(db);
  for (const [id, number, state] of [['card-a', ACTIVE_CARD, 'active'], ['card-b', BLOCKED_CARD, 'blocked']] as const) {
    cards.insert({ id, cardholderId: holderId, state, replacesCardId: null, createdAt: NOW, updatedAt: NOW });
    cards.setCardNumber(id, number);
  }
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
});

afterAll(async () => {
  await built.context.terminalServices.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('identity verification over HTTP', () => {
  it('vouches for the cardholder with an assertion the published key verifies', async () => {
    const nonce = await nonceFor(credentialA);
    expect(nonce).toMatch(/^[0-9A-F]{64}$/);
    const res = await post('/api/v1/identity/verifications', credentialA, proof(nonce));
    expect(res.status).toBe(200);
    expect(res.json.cardholder).toEqual({ id: holderId, name: HOLDER_NAME });
    const key = (await (await fetch(`${server.url}/api/v1/identity/public-key`)).json()) as { publicKey: string };
    const claims = verifyIdentityAssertion(res.json.assertion, ed25519PublicKeyFromRaw(fromHex(key.publicKey)), { now: clock(), servicePoint: SERVICE_POINT });
    expect(claims).toMatchObject({ sub: holderId, name: HOLDER_NAME, card: ACTIVE_CARD, spt: SERVICE_POINT, trm: TERMINAL_A, amr: ['pin', 'hwk'] });
    expect(res.json.expiresAt).toBe('2026-11-23T12:05:00.000Z');
  });

  it('logs the name read for the terminal with purpose service', () => {
    const log = built.context.cardholders.accessLogFor(holderId);
    expect(log.at(-1)).toMatchObject({ accessor: `terminal:${TERMINAL_A}`, purpose: 'service' });
  });

  const refusals: { reason: string; make: () => Promise<{ credential: string; body: unknown }> }[] = [
    { reason: 'NONCE_UNKNOWN', make: async () => ({ credential: credentialA, body: proof('00'.repeat(32)) }) },
    { reason: 'NONCE_WRONG_TERMINAL', make: async () => ({ credential: credentialB, body: proof(await nonceFor(credentialA)) }) },
    {
      reason: 'NONCE_REPLAYED',
      make: async () => {
        const nonce = await nonceFor(credentialA);
        expect((await post('/api/v1/identity/verifications', credentialA, proof(nonce))).status).toBe(200);
        return { credential: credentialA, body: proof(nonce) };
      },
    },
    {
      reason: 'NONCE_EXPIRED',
      make: async () => {
        const nonce = await nonceFor(credentialA);
        t += 60_000;
        return { credential: credentialA, body: proof(nonce) };
      },
    },
    {
      reason: 'CERT_INVALID',
      make: async () => {
        const nonce = await nonceFor(credentialA);
        const other = createCityCa({ notBefore: new Date('2025-01-01T00:00:00Z'), commonName: 'Elsewhere CA' });
        return { credential: credentialA, body: proof(nonce, { certificate: certificateFor(other, ACTIVE_CARD).toString('base64') }) };
      },
    },
    {
      reason: 'SIGNATURE_INVALID',
      make: async () => {
        const nonce = await nonceFor(credentialA);
        return { credential: credentialA, body: proof(nonce, { signature: toHex(cardSigns(fromHex(nonce), AUTH_MODE.card)) }) };
      },
    },
    {
      reason: 'CARD_NOT_ACTIVE',
      make: async () => {
        const nonce = await nonceFor(credentialA);
        return { credential: credentialA, body: proof(nonce, { cardNumber: BLOCKED_CARD, certificate: certificateFor(ca, BLOCKED_CARD).toString('base64') }) };
      },
    },
  ];
  for (const refusal of refusals) {
    it(`refuses with 403 ${refusal.reason}`, async () => {
      const { credential, body } = await refusal.make();
      const res = await post('/api/v1/identity/verifications', credential, body);
      expect([res.status, res.json.error.code]).toEqual([403, refusal.reason]);
    });
  }

  it('refuses malformed proofs with 400 and uses up no nonce', async () => {
    const nonce = await nonceFor(credentialA);
    for (const bad of [
      proof(nonce, { nonce: nonce.slice(2) }),
      proof(nonce, { signature: 'zz'.repeat(256) }),
      proof(nonce, { cardNumber: "1'; DROP TABLE cards;--" }),
      proof(nonce, { certificate: '%%%' }),
      { ...proof(nonce), terminalId: TERMINAL_B },
    ]) {
      const res = await post('/api/v1/identity/verifications', credentialA, bad);
      expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await post('/api/v1/identity/verifications', credentialA, proof(nonce))).status).toBe(200);
  });
});
