/**
 * POST /api/v1/kiosk/access-log: a kiosk sees the data-access log of the cardholder its fresh
 * identity assertion names, and nothing without one. Assertions are signed here with the
 * backend's own key (from its data directory) so each claim can be bent on purpose.
 */
import { createCityCa } from '@citycard/hsm-sim/ca';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../../backend/src/data/hotlistSigningKey.js';
import { CITIZEN_KIOSK } from '../../backend/src/domain/cardholders/accessPurpose.js';
import { type IdentityClaims, signIdentityAssertion } from '../../backend/src/domain/identity/assertion.js';
import { IDENTITY_ASSERTION_KEY_FILE } from '../../backend/src/domain/identity/identityVerification.js';
import { KIOSK_ASSERTION_MAX_AGE_SECONDS } from '../../backend/src/http/kioskRoutes.js';
import { KIOSK_TERMINAL, type KioskBackend, SERVICE_POINT, startKioskBackend } from '../terminal-agent/kioskKit.js';

const NOW = '2026-11-23T12:00:00.000Z';
const NOW_S = Date.parse(NOW) / 1000;
const CARD = '1000000000000021';
const OTHER_KIOSK = '400000000002';
const GATE = '100000000007';

let backend: KioskBackend;
let holderId: string;
let otherKioskCredential: string;
let gateCredential: string;
let sign: (claims: IdentityClaims) => string;

function claims(overrides: Partial<IdentityClaims> = {}): IdentityClaims {
  return {
    iss: 'citycard-backend',
    sub: holderId,
    name: 'Wang Fang',
    card: CARD,
    spt: SERVICE_POINT,
    trm: KIOSK_TERMINAL,
    amr: ['pin', 'hwk'],
    iat: NOW_S,
    exp: NOW_S + 300,
    jti: 'fixed-jti-0001',
    ...overrides,
  };
}

async function accessLog(credential: string | undefined, assertion: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credential !== undefined) headers['authorization'] = `Bearer ${credential}`;
  const res = await fetch(`${backend.url}/api/v1/kiosk/access-log`, { method: 'POST', headers, body: JSON.stringify({ assertion }) });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  backend = await startKioskBackend({ caCertificatePem: createCityCa().certificatePem, clock: () => new Date(NOW), cards: [{ cardNumber: CARD, name: 'Wang Fang' }] });
  holderId = backend.holders.get(CARD)!;
  const key = loadOrCreateSigningKey(backend.dataDir, IDENTITY_ASSERTION_KEY_FILE);
  sign = (c) => signIdentityAssertion(c, key.privateKey);
  const { terminals } = backend.built.context.terminalServices;
  const merchant = terminals.registerMerchant({ name: 'Metro', category: 'transit' }, 'test');
  otherKioskCredential = terminals.registerTerminal({ terminalNumber: OTHER_KIOSK, merchantId: merchant.id, mode: 'kiosk', location: 'Hall 2' }, 'test').credential;
  gateCredential = terminals.registerTerminal({ terminalNumber: GATE, merchantId: merchant.id, mode: 'gate', location: 'Gate 7' }, 'test').credential;
  const { cardholders, staff } = backend.built.context;
  const supervisor = (await staff.create({ username: 'sup.zhou', displayName: 'Zhou', role: 'supervisor' }, 'test')).staff;
  cardholders.get(holderId, { accessor: `terminal:${KIOSK_TERMINAL}`, purpose: 'service' });
  cardholders.get(holderId, { accessor: supervisor.id, purpose: 'audit' });
  cardholders.get(holderId, { accessor: CITIZEN_KIOSK, purpose: 'citizen-request' });
  cardholders.get(holderId, { accessor: 'nightly-export', purpose: 'audit' });
});

afterAll(async () => {
  await backend?.close();
});

describe('the kiosk access-log route', () => {
  it('answers the log of the cardholder the assertion names, newest first, readers described by kind', async () => {
    const res = await accessLog(backend.credential, sign(claims()));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      entries: [
        { at: NOW, purpose: 'audit', accessor: { kind: 'other' } },
        { at: NOW, purpose: 'citizen-request', accessor: { kind: 'kiosk' } },
        { at: NOW, purpose: 'audit', accessor: { kind: 'staff', role: 'supervisor' } },
        { at: NOW, purpose: 'service', accessor: { kind: 'terminal', terminalNumber: KIOSK_TERMINAL } },
      ],
    });
  });

  const refusals: { name: string; credential: () => string | undefined; assertion: () => string; status: number; code: string }[] = [
    { name: 'no terminal credential', credential: () => undefined, assertion: () => sign(claims()), status: 401, code: 'UNAUTHENTICATED' },
    { name: 'a terminal that is not a kiosk', credential: () => gateCredential, assertion: () => sign(claims({ trm: GATE })), status: 403, code: 'NOT_A_KIOSK' },
    { name: 'an assertion issued to another kiosk', credential: () => otherKioskCredential, assertion: () => sign(claims()), status: 403, code: 'ASSERTION_WRONG_TERMINAL' },
    { name: 'an expired assertion', credential: () => backend.credential, assertion: () => sign(claims({ iat: NOW_S - 400, exp: NOW_S - 100 })), status: 403, code: 'ASSERTION_EXPIRED' },
    {
      name: 'an assertion older than the kiosk accepts, however long it claims to live',
      credential: () => backend.credential,
      assertion: () => sign(claims({ iat: NOW_S - KIOSK_ASSERTION_MAX_AGE_SECONDS - 1, exp: NOW_S + 3600 })),
      status: 403,
      code: 'ASSERTION_EXPIRED',
    },
    {
      name: 'an assertion with its cardholder changed after signing',
      credential: () => backend.credential,
      assertion: () => {
        const [h, , s] = sign(claims()).split('.');
        return `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'someone-else' }))).toString('base64url')}.${s}`;
      },
      status: 403,
      code: 'ASSERTION_INVALID',
    },
    { name: 'a cardholder the registry does not know', credential: () => backend.credential, assertion: () => sign(claims({ sub: 'no-such-holder' })), status: 404, code: 'CARDHOLDER_NOT_FOUND' },
    { name: 'a body that is no assertion', credential: () => backend.credential, assertion: () => '', status: 400, code: 'VALIDATION_FAILED' },
  ];
  for (const refusal of refusals) {
    it(`refuses ${refusal.name}: ${refusal.status} ${refusal.code}`, async () => {
      const res = await accessLog(refusal.credential(), refusal.assertion());
      expect([res.status, res.json.error.code]).toEqual([refusal.status, refusal.code]);
    });
  }
});
