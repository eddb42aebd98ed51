/**
 * Merchants, terminals, PSAMs and terminal credentials over HTTP: the route x role matrix
 * (staff roles, the terminal scheme, nobody), credential rotation and disabling, a terminal's
 * view of itself, and hostile input that changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { secretHash } from '../../backend/src/domain/terminals/terminalCredential.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

const PASSWORD = 'terminal test passphrase';
const TERMINAL_A = '100000000001';
const TERMINAL_B = '100000000002';
const UNKNOWN_TERMINAL = '999999999999';
const PSAM_SERIAL = '0011223344556677';

type Allowed = readonly Role[] | 'terminal' | 'public';
const STAFF_REGISTRARS: Role[] = ['supervisor', 'admin'];
const STAFF_READERS: Role[] = ['supervisor', 'auditor', 'admin'];

/** Every route of this area; inputs fail validation or name nothing, so an admitted call changes nothing. */
const MATRIX: { method: string; path: string; allowed: Allowed }[] = [
  { method: 'POST', path: '/api/v1/merchants', allowed: STAFF_REGISTRARS },
  { method: 'GET', path: '/api/v1/merchants', allowed: STAFF_READERS },
  { method: 'POST', path: '/api/v1/terminals', allowed: STAFF_REGISTRARS },
  { method: 'GET', path: '/api/v1/terminals', allowed: STAFF_READERS },
  { method: 'GET', path: `/api/v1/terminals/${UNKNOWN_TERMINAL}`, allowed: STAFF_READERS },
  { method: 'PATCH', path: `/api/v1/terminals/${UNKNOWN_TERMINAL}`, allowed: STAFF_REGISTRARS },
  { method: 'POST', path: `/api/v1/terminals/${UNKNOWN_TERMINAL}/credential`, allowed: STAFF_REGISTRARS },
  { method: 'POST', path: `/api/v1/terminals/${UNKNOWN_TERMINAL}/psams`, allowed: STAFF_REGISTRARS },
  { method: 'GET', path: '/api/v1/terminal/self', allowed: 'terminal' },
  { method: 'PUT', path: '/api/v1/terminal/self/upload-key', allowed: 'terminal' },
  { method: 'POST', path: '/api/v1/terminal/self/batches', allowed: 'terminal' },
  { method: 'GET', path: '/api/v1/hotlist?since=x', allowed: 'terminal' },
  { method: 'GET', path: '/api/v1/hotlist/stream?since=x', allowed: 'terminal' },
  { method: 'GET', path: '/api/v1/hotlist/public-key', allowed: 'public' },
  { method: 'POST', path: '/api/v1/hotlist/signing-key/rotations', allowed: STAFF_REGISTRARS },
  { method: 'POST', path: '/api/v1/identity/nonces', allowed: 'terminal' },
  { method: 'POST', path: '/api/v1/identity/verifications', allowed: 'terminal' },
  { method: 'GET', path: '/api/v1/identity/public-key', allowed: 'public' },
];

let dir: string;
let db: Db;
let server: RunningServer;
let registryRoutes: string[];
let merchantId: string;
let credentialA: string;
let credentialB: string;
const tokens = new Map<Role, string>();

async function call(method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + url, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

const count = (table: string): number => db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-terminals-'));
  db = openDatabase(dir);
  migrate(db);
  const built = createApp({ config: loadConfig({}, { dataDir: dir, redisUrl: '' }), db });
  registryRoutes = built.registry.routes().map((r) => `${r.method.toUpperCase()} ${r.path}`);
  for (const role of ROLES) {
    const { staff, oneTimePassword } = await built.context.staff.create({ username: `${role}1`, displayName: role, role }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    tokens.set(role, (await built.context.sessions.login(`${role}1`, PASSWORD, '127.0.0.1')).token);
  }
  server = await startServer(built.app, {
    host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }),
    onClosed: () => db.close(),
  });
  const admin = tokens.get('admin')!;
  merchantId = (await call('POST', '/api/v1/merchants', admin, { name: 'Harbour Bakery', category: 'food' })).json.id;
  credentialA = (await call('POST', '/api/v1/terminals', admin, { terminalNumber: TERMINAL_A, merchantId, mode: 'pos', location: 'Pier 3' })).json.credential;
  credentialB = (await call('POST', '/api/v1/terminals', admin, { terminalNumber: TERMINAL_B, merchantId, mode: 'gate', location: 'Pier 4' })).json.credential;
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('route x role matrix', () => {
  it('covers every route of the terminals, hotlist and identity modules', () => {
    const mine = registryRoutes.filter((r) => /\/api\/v1\/(merchants|terminals?|hotlist|identity)\b/.test(r));
    const expected = MATRIX.map((r) => `${r.method} ${r.path.split('?')[0]!.replace(UNKNOWN_TERMINAL, ':terminalNumber')}`);
    expect([...new Set(expected)].sort()).toEqual(mine.sort());
  });

  for (const route of MATRIX) {
    const body = route.method === 'GET' ? undefined : { invalid: true };
    if (route.allowed !== 'public') {
      it(`${route.method} ${route.path} unauthenticated -> 401`, async () => {
        expect((await call(route.method, route.path, undefined, body)).status).toBe(401);
      });
    }
    for (const role of ROLES) {
      const allowed = route.allowed === 'public' || (Array.isArray(route.allowed) && route.allowed.includes(role));
      it(`${route.method} ${route.path} as staff ${role} -> ${allowed ? 'admitted' : 'refused'}`, async () => {
        const { status } = await call(route.method, route.path, tokens.get(role), body);
        if (allowed) expect([200, 400, 404]).toContain(status);
        else expect(status).toBe(route.allowed === 'terminal' ? 401 : 403);
      });
    }
    const terminalAllowed = route.allowed === 'public' || route.allowed === 'terminal';
    it(`${route.method} ${route.path} as a terminal -> ${terminalAllowed ? 'admitted' : '401'}`, async () => {
      const { status } = await call(route.method, route.path, credentialA, body);
      if (terminalAllowed) expect([200, 400]).toContain(status);
      else expect(status).toBe(401);
    });
  }
});

describe('registration', () => {
  it('answers the credential once and stores only the SHA-256 of its secret', async () => {
    expect(credentialA).toMatch(/^100000000001\.[A-Za-z0-9_-]{43}$/);
    const row = db.prepare<[string], { credential_hash: string }>('SELECT credential_hash FROM terminals WHERE terminal_number = ?').get(TERMINAL_A)!;
    expect(row.credential_hash).toBe(secretHash(credentialA.split('.')[1]!));
    const shown = await call('GET', `/api/v1/terminals/${TERMINAL_A}`, tokens.get('auditor'));
    expect(shown.status).toBe(200);
    expect(JSON.stringify(shown.json)).not.toContain(credentialA.split('.')[1]);
    expect(shown.json).toMatchObject({ terminalNumber: TERMINAL_A, merchantId, mode: 'pos', location: 'Pier 3', disabled: false, psams: [] });
  });

  it('registers a PSAM and shows it with its terminal', async () => {
    const added = await call('POST', `/api/v1/terminals/${TERMINAL_A}/psams`, tokens.get('supervisor'), { serial: PSAM_SERIAL });
    expect(added.status).toBe(201);
    expect((await call('POST', `/api/v1/terminals/${TERMINAL_B}/psams`, tokens.get('supervisor'), { serial: PSAM_SERIAL })).json.error.code).toBe('PSAM_EXISTS');
    const self = await call('GET', '/api/v1/terminal/self', credentialA);
    expect(self.json.psams.map((p: { serial: string }) => p.serial)).toEqual([PSAM_SERIAL]);
  });

  it('refuses a duplicate terminal, an unknown merchant and hostile input, changing nothing', async () => {
    const admin = tokens.get('admin')!;
    const before = count('terminals');
    const dup = await call('POST', '/api/v1/terminals', admin, { terminalNumber: TERMINAL_A, merchantId, mode: 'pos', location: 'x' });
    expect([dup.status, dup.json.error.code]).toEqual([409, 'TERMINAL_EXISTS']);
    const noMerchant = await call('POST', '/api/v1/terminals', admin, { terminalNumber: '100000000009', merchantId: '00000000-0000-4000-8000-000000000000', mode: 'pos', location: 'x' });
    expect([noMerchant.status, noMerchant.json.error.code]).toEqual([404, 'MERCHANT_NOT_FOUND']);
    for (const hostile of [
      { terminalNumber: "1'; DROP TABLE terminals;--", merchantId, mode: 'pos', location: 'x' },
      { terminalNumber: '10000000001', merchantId, mode: 'pos', location: 'x' },
      { terminalNumber: '100000000009', merchantId, mode: 'atm', location: 'x' },
      { terminalNumber: '100000000009', merchantId, mode: 'pos', location: 'a\u0000b' },
      { terminalNumber: '100000000009', merchantId, mode: 'pos', location: 'x'.repeat(201) },
      { terminalNumber: 100000000009, merchantId, mode: 'pos', location: 'x' },
      { terminalNumber: '100000000009', merchantId, mode: 'pos', location: 'x', disabled: true },
    ]) {
      const res = await call('POST', '/api/v1/terminals', admin, hostile);
      expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(count('terminals')).toBe(before);
    const merchants = count('merchants');
    expect((await call('POST', '/api/v1/merchants', admin, { name: 'Ünïcødé 店', category: 'casino' })).status).toBe(400);
    expect(count('merchants')).toBe(merchants);
  });
});

describe('terminal credentials', () => {
  it('a terminal sees only itself; another terminal cannot read staff views', async () => {
    expect((await call('GET', '/api/v1/terminal/self', credentialB)).json.terminalNumber).toBe(TERMINAL_B);
    expect((await call('GET', `/api/v1/terminals/${TERMINAL_A}`, credentialB)).status).toBe(401);
  });

  it('refuses a wrong secret and a secret presented under another terminal number', async () => {
    const secretB = credentialB.split('.')[1]!;
    expect((await call('GET', '/api/v1/terminal/self', `${TERMINAL_A}.${secretB}`)).status).toBe(401);
    expect((await call('GET', '/api/v1/terminal/self', `${TERMINAL_A}.${'A'.repeat(43)}`)).status).toBe(401);
  });

  it('rotation replaces the credential at once', async () => {
    const rotated = await call('POST', `/api/v1/terminals/${TERMINAL_B}/credential`, tokens.get('supervisor'));
    expect(rotated.status).toBe(201);
    const fresh = rotated.json.credential as string;
    expect(fresh).not.toBe(credentialB);
    expect((await call('GET', '/api/v1/terminal/self', credentialB)).status).toBe(401);
    expect((await call('GET', '/api/v1/terminal/self', fresh)).status).toBe(200);
    credentialB = fresh;
  });

  it('a disabled terminal cannot authenticate until re-enabled', async () => {
    const admin = tokens.get('admin')!;
    expect((await call('PATCH', `/api/v1/terminals/${TERMINAL_B}`, admin, { disabled: true })).json.disabled).toBe(true);
    expect((await call('GET', '/api/v1/terminal/self', credentialB)).status).toBe(401);
    expect((await call('PATCH', `/api/v1/terminals/${TERMINAL_B}`, admin, { disabled: false })).json.disabled).toBe(false);
    expect((await call('GET', '/api/v1/terminal/self', credentialB)).status).toBe(200);
  });

  it('audits registration, rotation and disabling without the secret', () => {
    const rows = db.prepare<[], { action: string; details: string | null }>("SELECT action, details FROM audit_log WHERE action LIKE 'terminal.%' OR action LIKE 'merchant.%' OR action LIKE 'psam.%'").all();
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['merchant.register', 'terminal.register', 'psam.register', 'terminal.credential.rotate', 'terminal.disable', 'terminal.enable']));
    expect(JSON.stringify(rows)).not.toContain(credentialB.split('.')[1]);
  });
});
