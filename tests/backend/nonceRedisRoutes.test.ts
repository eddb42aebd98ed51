/**
 * Identity verification over HTTP with nonces in the real Redis (the backend's default when a
 * Redis URL is configured): no nonce row in SQLite, one SQLite row written per verification
 * (the cardholder access-log entry), replay, expiry, the wrong terminal, two concurrent
 * verifications of one nonce, and 503 while the configured Redis cannot be reached.
 */
import { type KeyObject, constants, createHash, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCityCa, issueCardCertificate } from '@citycard/hsm-sim/ca';
import { AUTH_MODE, authSignedMessage, fromHex, toHex } from '@citycard/protocols';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendApp, createApp } from '../../backend/src/app.js';
import { type ConfigInput, loadConfig } from '../../backend/src/config.js';
import { CardRepository } from '../../backend/src/data/cardRepository.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';
import { CITY_CA_CERTIFICATE_FILE } from '../../backend/src/http/terminalServices.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NOW = '2026-11-23T12:00:00.000Z';
const TERMINAL_A = '300000000011';
const TERMINAL_B = '300000000012';
const SERVICE_POINT = 'pool-north';
const CARD = '1000000000000021';
const PREFIX = `citycard:test:nonce-routes:${randomBytes(6).toString('hex')}:`;

interface Backend {
  dir: string;
  db: Db;
  built: BackendApp;
  server: RunningServer;
  credentials: string[];
}

let t = Date.parse(NOW);
const clock = (): Date => new Date(t);
let ca: ReturnType<typeof createCityCa>;
let cardKey: KeyObject;
let certificate: string;
let redis: Redis;
let up: Backend;
let down: Backend;

async function startBackend(overrides: Partial<ConfigInput>): Promise<Backend> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-nonce-routes-'));
  writeFileSync(path.join(dir, CITY_CA_CERTIFICATE_FILE), ca.certificatePem);
  const db = openDatabase(dir);
  migrate(db);
  const channel = `citycard:test:hotlist:${randomBytes(6).toString('hex')}`;
  const built = createApp({ config: loadConfig({}, { dataDir: dir, redisHotlistChannel: channel, ...overrides }), db, clock });
  const { terminals } = built.context.terminalServices;
  const merchant = terminals.registerMerchant({ name: 'North Pool', category: 'other' }, 'test');
  const credentials = [TERMINAL_A, TERMINAL_B].map(
    (terminalNumber) => terminals.registerTerminal({ terminalNumber, merchantId: merchant.id, mode: 'kiosk', location: 'Entrance' }, 'test').credential,
  );
  const holder = built.context.cardholders.enroll(
    { kind: 'floating', fullName: 'Jonas Berg', birthDate: '1988-05-02', address: 'Quay 7', residencePermit: { number: 'QD-2025-000777', expiresOn: '2027-01-31' } },
    'test',
  );
  const cards = new CardRepository(db);
  cards.insert({ id: 'card-n', cardholderId: holder.id, state: 'active', replacesCardId: null, createdAt: NOW, updatedAt: NOW });
  cards.setCardNumber('card-n', CARD);
  const server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
  return { dir, db, built, server, credentials };
}

async function stopBackend(b: Backend | undefined): Promise<void> {
  if (b === undefined) return;
  await b.built.context.terminalServices.close();
  await b.server.close();
  rmSync(b.dir, { recursive: true, force: true });
}

async function post(b: Backend, route: string, credential: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(b.server.url + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const credentialA = (): string => up.credentials[0]!;
const credentialB = (): string => up.credentials[1]!;

async function nonceFor(credential: string): Promise<string> {
  const res = await post(up, '/api/v1/identity/nonces', credential, { servicePoint: SERVICE_POINT });
  expect(res.status).toBe(201);
  return res.json.nonce as string;
}

function proof(nonce: string) {
  const signature = sign('sha256', authSignedMessage(AUTH_MODE.cardholder, fromHex(nonce)), { key: cardKey, padding: constants.RSA_PKCS1_PADDING });
  return { servicePoint: SERVICE_POINT, nonce, cardNumber: CARD, certificate, signature: toHex(signature) };
}

const verify = (credential: string, body: unknown) => post(up, '/api/v1/identity/verifications', credential, body);
const sqliteChanges = (db: Db): number => db.prepare<[], { n: number }>('SELECT total_changes() AS n').get()!.n;
const sqliteNonces = (db: Db): number => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM identity_nonces').get()!.n;

beforeAll(async () => {
  ca = createCityCa({ notBefore: new Date('2025-01-01T00:00:00Z') });
  cardKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  certificate = issueCardCertificate({
    ca,
    cardNumber: CARD,
    subjectPublicKeyDer: createPublicKey(cardKey).export({ type: 'spki', format: 'der' }),
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2031-01-01T00:00:00Z'),
    serial: randomBytes(8),
  }).toString('base64');
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  up = await startBackend({ redisUrl: REDIS_URL, redisNonceKeyPrefix: PREFIX });
  // Port 1 on loopback: nothing listens there.
  down = await startBackend({ redisUrl: 'redis://127.0.0.1:1', redisNonceKeyPrefix: PREFIX });
});

afterAll(async () => {
  await stopBackend(up);
  await stopBackend(down);
  const keys = (await redis?.keys(`${PREFIX}*`)) ?? [];
  if (keys.length > 0) await redis.del(...keys);
  await redis?.quit();
});

describe('identity verification with nonces in Redis', () => {
  it('keeps the nonce in Redis only and writes one SQLite row per verification', async () => {
    const nonce = await nonceFor(credentialA());
    const hash = createHash('sha256').update(fromHex(nonce)).digest('hex');
    expect(await redis.get(PREFIX + hash)).toBe(`F ${Date.parse(NOW) + 60_000} ["${TERMINAL_A}","${SERVICE_POINT}"]`);
    expect(sqliteNonces(up.db)).toBe(0);
    const before = sqliteChanges(up.db);
    const res = await verify(credentialA(), proof(nonce));
    expect(res.status).toBe(200);
    expect(res.json.cardholder.name).toBe('Jonas Berg');
    // The one write: the cardholder access-log entry of the name read for this terminal.
    expect(sqliteChanges(up.db) - before).toBe(1);
    expect(sqliteNonces(up.db)).toBe(0);
    expect((await redis.get(PREFIX + hash))?.startsWith('U ')).toBe(true);
  });

  it('refuses a replay with 403 NONCE_REPLAYED', async () => {
    const nonce = await nonceFor(credentialA());
    expect((await verify(credentialA(), proof(nonce))).status).toBe(200);
    const again = await verify(credentialA(), proof(nonce));
    expect([again.status, again.json.error.code]).toEqual([403, 'NONCE_REPLAYED']);
  });

  it('refuses another terminal with 403 NONCE_WRONG_TERMINAL and leaves the nonce to its own', async () => {
    const nonce = await nonceFor(credentialA());
    const stolen = await verify(credentialB(), proof(nonce));
    expect([stolen.status, stolen.json.error.code]).toEqual([403, 'NONCE_WRONG_TERMINAL']);
    expect((await verify(credentialA(), proof(nonce))).status).toBe(200);
  });

  it('lets one of two concurrent verifications of one nonce pass; the other is a replay', async () => {
    const nonce = await nonceFor(credentialA());
    const body = proof(nonce);
    const results = await Promise.all([verify(credentialA(), body), verify(credentialA(), body)]);
    const outcomes = results.map((r) => (r.status === 200 ? 'ok' : `${r.status} ${r.json.error.code}`)).sort();
    expect(outcomes).toEqual(['403 NONCE_REPLAYED', 'ok']);
  });

  it('refuses at 60 s with 403 NONCE_EXPIRED', async () => {
    const nonce = await nonceFor(credentialA());
    t += 60_000;
    const late = await verify(credentialA(), proof(nonce));
    expect([late.status, late.json.error.code]).toEqual([403, 'NONCE_EXPIRED']);
  });

  it('answers 503 NONCE_STORE_UNAVAILABLE while the configured Redis cannot be reached, and writes nothing', async () => {
    const before = sqliteChanges(down.db);
    const issued = await post(down, '/api/v1/identity/nonces', down.credentials[0]!, { servicePoint: SERVICE_POINT });
    expect([issued.status, issued.json.error.code]).toEqual([503, 'NONCE_STORE_UNAVAILABLE']);
    const checked = await post(down, '/api/v1/identity/verifications', down.credentials[0]!, proof('A1'.repeat(32)));
    expect([checked.status, checked.json.error.code]).toEqual([503, 'NONCE_STORE_UNAVAILABLE']);
    expect(sqliteChanges(down.db) - before).toBe(0);
    expect(sqliteNonces(down.db)).toBe(0);
  });
});
