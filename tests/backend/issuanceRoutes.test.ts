/**
 * Issuance over HTTP: the route x role matrix, hostile input refused with a reason and no change,
 * and the station's claim -> complete flow with progress.
 */
import forge from 'node-forge';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { CardholderRegistry } from '../../backend/src/domain/cardholders/index.js';
import { CardLifecycle } from '../../backend/src/domain/cards/index.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

const PASSWORD = 'issuance test passphrase';
const NO_ID = '00000000-0000-4000-8000-000000000000';
const READERS: readonly Role[] = ['clerk', 'supervisor', 'auditor', 'admin'];
const ISSUERS: readonly Role[] = ['clerk', 'supervisor', 'admin'];
const STATION: readonly Role[] = ['clerk'];

const MATRIX: { method: string; path: string; allowed: readonly Role[] }[] = [
  { method: 'POST', path: '/api/v1/issuance/jobs', allowed: ISSUERS },
  { method: 'POST', path: '/api/v1/issuance/batches', allowed: ISSUERS },
  { method: 'GET', path: '/api/v1/issuance/batches/:batchId', allowed: READERS },
  { method: 'GET', path: '/api/v1/issuance/progress', allowed: READERS },
  { method: 'GET', path: '/api/v1/issuance/jobs/:jobId', allowed: READERS },
  { method: 'POST', path: '/api/v1/issuance/claims', allowed: STATION },
  { method: 'POST', path: '/api/v1/issuance/jobs/:jobId/complete', allowed: STATION },
  { method: 'POST', path: '/api/v1/issuance/jobs/:jobId/fail', allowed: STATION },
  { method: 'POST', path: '/api/v1/issuance/jobs/:jobId/requeue', allowed: ISSUERS },
];

let server: RunningServer;
let registryRoutes: string[];
let cards: CardLifecycle;
let cardholders: CardholderRegistry;
let certificateHex: string;
const tokens = new Map<Role, string>();
const db = openDatabase(':memory:');

beforeAll(async () => {
  migrate(db);
  const built = createApp({ config: loadConfig({}), db });
  registryRoutes = built.registry.routes().map((r) => `${r.method.toUpperCase()} ${r.path}`).filter((r) => r.includes('/issuance/'));
  cards = new CardLifecycle(db, built.context.audit);
  cardholders = new CardholderRegistry(db, built.context.audit);
  for (const role of ROLES) {
    const { staff, oneTimePassword } = await built.context.staff.create({ username: `${role}1`, displayName: role, role }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    tokens.set(role, (await built.context.sessions.login(`${role}1`, PASSWORD, '127.0.0.1')).token);
  }
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.setSubject([{ name: 'commonName', value: 'card' }]);
  cert.setIssuer([{ name: 'commonName', value: 'test CA' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  certificateHex = forge.util.bytesToHex(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes());
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
});

afterAll(() => server.close());

async function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(method === 'GET' ? {} : { body: JSON.stringify(body ?? { invalid: true }) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

let citizenSeq = 0;
function approvedCard(): string {
  const body = `11010519491231${String(++citizenSeq).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  const holder = cardholders.enroll(
    { kind: 'resident', fullName: 'Zhang San', citizenId: body + '10X98765432'[sum % 11]!, birthDate: '1949-12-31', address: 'Shinan' },
    'clerk-1',
  );
  const card = cards.applyForCard(holder.id, { id: 'clerk-1', roles: ['clerk'] });
  cards.approve(card.id, { actor: { id: 'sup-1', roles: ['supervisor'] } });
  return card.id;
}

describe('issuance route x role matrix', () => {
  it('covers every issuance route', () => {
    expect(MATRIX.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...registryRoutes].sort());
  });
  for (const route of MATRIX) {
    const path = route.path.replace(':jobId', NO_ID).replace(':batchId', NO_ID);
    it(`${route.method} ${route.path} without a session -> 401`, async () => {
      expect((await call(route.method, path, undefined)).status).toBe(401);
    });
    for (const role of ROLES) {
      const allowed = route.allowed.includes(role);
      it(`${route.method} ${route.path} as ${role} -> ${allowed ? 'allowed' : '403'}`, async () => {
        const res = await call(route.method, path, tokens.get(role));
        if (allowed) expect([200, 400, 404]).toContain(res.status);
        else expect(res).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN' } } });
      });
    }
  }
});

describe('hostile input', () => {
  const clerk = (): string => tokens.get('clerk')!;
  const cases: { name: string; path: string; body: unknown; field: string }[] = [
    { name: 'SQL in the station name', path: '/api/v1/issuance/claims', body: { station: "s'; DROP TABLE issuance_jobs;--" }, field: 'body.station' },
    { name: 'a unicode station name', path: '/api/v1/issuance/claims', body: { station: 'стaнция' }, field: 'body.station' },
    { name: 'a batch too large', path: '/api/v1/issuance/batches', body: { count: 10_001 }, field: 'body.count' },
    { name: 'a count of the wrong type', path: '/api/v1/issuance/batches', body: { count: '5' }, field: 'body.count' },
    { name: 'a card id that is not a uuid', path: '/api/v1/issuance/jobs', body: { cardId: "1' OR '1'='1" }, field: 'body.cardId' },
    { name: 'an unknown card type', path: '/api/v1/issuance/jobs', body: { cardId: NO_ID, cardType: 9 }, field: 'body.cardType' },
    { name: 'an extra field', path: '/api/v1/issuance/claims', body: { station: 's1', admin: true }, field: 'body' },
    {
      name: 'a CSN that is not hex',
      path: `/api/v1/issuance/jobs/${NO_ID}/complete`,
      body: { claimToken: NO_ID, cardNumber: '1000000000000001', csn: 'ZZZZ000000000001', certificate: 'AB'.repeat(100) },
      field: 'body.csn',
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with 400 and changes nothing`, async () => {
      const before = await call('GET', '/api/v1/issuance/progress', clerk());
      const res = await call('POST', c.path, clerk(), c.body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
      expect(res.json.error.details.issues.map((i: { path: string }) => i.path)).toContain(c.field);
      expect(await call('GET', '/api/v1/issuance/progress', clerk())).toEqual(before);
    });
  }
});

describe('the station flow over HTTP', () => {
  it('queues a card, claims it, reports it done; the card is personalized and progress counts it', async () => {
    const clerk = tokens.get('clerk')!;
    const cardId = approvedCard();
    const created = await call('POST', '/api/v1/issuance/jobs', clerk, { cardId });
    expect(created.status).toBe(201);
    expect(created.json).not.toHaveProperty('order');
    expect((await call('POST', '/api/v1/issuance/jobs', clerk, { cardId })).json.error.code).toBe('ISSUANCE_JOB_EXISTS');

    const claim = await call('POST', '/api/v1/issuance/claims', clerk, { station: 'station-1' });
    expect(claim.status).toBe(200);
    expect(claim.json.order.cardholder).toEqual({ name: 'Zhang San', citizenId: expect.any(String), dateOfBirth: '19491231', residency: 'permanent' });
    expect((await call('POST', '/api/v1/issuance/claims', clerk, { station: 'station-1' })).status).toBe(204);

    const { jobId, claimToken } = claim.json;
    const cardNumber = claim.json.order.cardInfo.cardNumber;
    const wrong = await call('POST', `/api/v1/issuance/jobs/${jobId}/complete`, clerk, { claimToken: NO_ID, cardNumber, csn: 'CAFE0000000000AA', certificate: certificateHex });
    expect(wrong).toMatchObject({ status: 409, json: { error: { code: 'JOB_NOT_CLAIMED' } } });
    expect(cards.get(cardId).state).toBe('approved');

    const done = await call('POST', `/api/v1/issuance/jobs/${jobId}/complete`, clerk, { claimToken, cardNumber, csn: 'CAFE0000000000AA', certificate: certificateHex });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ cardId, jobId, cardNumber, csn: 'CAFE0000000000AA' });
    expect(cards.get(cardId).state).toBe('personalized');
    const job = await call('GET', `/api/v1/issuance/jobs/${jobId}`, tokens.get('auditor'));
    expect(job.json).toMatchObject({ state: 'done', attempts: 1, station: 'station-1' });
    expect(job.json).not.toHaveProperty('claimToken');
  });

  it('creates a batch and reports its progress; a failure sends the job back to the queue', async () => {
    const clerk = tokens.get('clerk')!;
    approvedCard();
    approvedCard();
    const batch = await call('POST', '/api/v1/issuance/batches', clerk, { count: 5 });
    expect(batch.status).toBe(201);
    expect(batch.json.jobIds).toHaveLength(2);
    const claim = await call('POST', '/api/v1/issuance/claims', clerk, { station: 'station-1' });
    const failed = await call('POST', `/api/v1/issuance/jobs/${claim.json.jobId}/fail`, clerk, { claimToken: claim.json.claimToken, step: 'PUT KEY DLK', reason: 'CardRemovedError: 卡被拔出' });
    expect(failed.json).toMatchObject({ state: 'queued', lastError: 'PUT KEY DLK: CardRemovedError: 卡被拔出' });
    const progress = await call('GET', `/api/v1/issuance/batches/${batch.json.batchId}`, tokens.get('auditor'));
    expect(progress.json).toEqual({ total: 2, queued: 2, claimed: 0, done: 0, failed: 0, retries: 1 });
    expect((await call('GET', `/api/v1/issuance/batches/${NO_ID}`, clerk)).json.error.code).toBe('ISSUANCE_BATCH_NOT_FOUND');
  });
});
