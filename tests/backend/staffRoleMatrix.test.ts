import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../backend/src/app.js';
import { approvalRoutes } from '../../backend/src/http/approvalRoutes.js';
import { authRoutes } from '../../backend/src/http/authRoutes.js';
import { coreErrors } from '../../backend/src/http/coreErrors.js';
import { staffRoutes } from '../../backend/src/http/staffRoutes.js';
import { systemRoutes } from '../../backend/src/http/systemRoutes.js';

const CORE_ROUTE_MODULES = [coreErrors, systemRoutes, authRoutes, staffRoutes, approvalRoutes];
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

const PASSWORD = 'matrix test passphrase';
const NO_ID = '00000000-0000-4000-8000-000000000000';

/** Every route of the core, the roles expected to pass the role check ('public' = no sign-in). */
const MATRIX: { method: string; path: string; allowed: readonly Role[] | 'public' }[] = [
  { method: 'GET', path: '/healthz', allowed: 'public' },
  { method: 'GET', path: '/openapi.json', allowed: 'public' },
  { method: 'POST', path: '/api/v1/auth/login', allowed: 'public' },
  { method: 'POST', path: '/api/v1/auth/logout', allowed: ROLES },
  { method: 'GET', path: '/api/v1/auth/me', allowed: ROLES },
  { method: 'POST', path: '/api/v1/auth/password', allowed: ROLES },
  { method: 'GET', path: '/api/v1/staff', allowed: ['admin'] },
  { method: 'POST', path: '/api/v1/staff', allowed: ['admin'] },
  { method: 'PATCH', path: '/api/v1/staff/:username', allowed: ['admin'] },
  { method: 'POST', path: '/api/v1/staff/:username/password-reset', allowed: ['admin'] },
  { method: 'POST', path: '/api/v1/approvals', allowed: ['clerk', 'supervisor', 'admin'] },
  { method: 'GET', path: '/api/v1/approvals', allowed: ROLES },
  { method: 'GET', path: '/api/v1/approvals/:id', allowed: ROLES },
  { method: 'POST', path: '/api/v1/approvals/:id/approve', allowed: ['supervisor', 'admin'] },
  { method: 'POST', path: '/api/v1/approvals/:id/reject', allowed: ['clerk', 'supervisor', 'admin'] },
];

let server: RunningServer;
let registryRoutes: string[];
const tokens = new Map<Role, string>();
const db = openDatabase(':memory:');

beforeAll(async () => {
  migrate(db);
  // The core route modules only: every other module has its own matrix.
  const built = createApp({ config: loadConfig({}), db, routes: CORE_ROUTE_MODULES });
  registryRoutes = built.registry.routes().map((r) => `${r.method.toUpperCase()} ${r.path}`);
  for (const role of ROLES) {
    const { staff, oneTimePassword } = await built.context.staff.create({ username: `${role}1`, displayName: role, role }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    tokens.set(role, (await built.context.sessions.login(`${role}1`, PASSWORD, '127.0.0.1')).token);
  }
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
});

afterAll(() => server.close());

// Values that fail validation, so an admitted call changes nothing: the matrix tests access only.
async function send(method: string, path: string, token?: string): Promise<{ status: number; code: string | undefined }> {
  const url = server.url + path.replace(':username', 'nobody-here').replace(':id', NO_ID);
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(method === 'GET' ? {} : { body: JSON.stringify({ invalid: true }) }),
  });
  const text = await res.text();
  const json = text === '' ? undefined : (JSON.parse(text) as { error?: { code: string } });
  return { status: res.status, code: json?.error?.code };
}

describe('route x role matrix', () => {
  it('covers every registered core route', () => {
    expect(MATRIX.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...registryRoutes].sort());
  });

  for (const route of MATRIX) {
    if (route.allowed !== 'public') {
      it(`${route.method} ${route.path} without a session -> 401`, async () => {
        expect(await send(route.method, route.path)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      });
      it(`${route.method} ${route.path} with a forged token -> 401`, async () => {
        expect((await send(route.method, route.path, 'A'.repeat(43))).status).toBe(401);
      });
    }
    for (const role of ROLES) {
      const allowed = route.allowed === 'public' || route.allowed.includes(role);
      it(`${route.method} ${route.path} as ${role} -> ${allowed ? 'allowed' : '403'}`, async () => {
        // logout would end the session the other cases use
        if (route.path === '/api/v1/auth/logout') {
          expect((await send('GET', '/api/v1/auth/me', tokens.get(role))).status).toBe(200);
          return;
        }
        const res = await send(route.method, route.path, tokens.get(role));
        if (allowed) expect(res.code).not.toBe('FORBIDDEN');
        else expect(res).toEqual({ status: 403, code: 'FORBIDDEN' });
        expect(res.status).not.toBe(401);
      });
    }
  }
});

describe('POST /api/v1/approvals: approval kind x role', () => {
  const DESK: readonly Role[] = ['clerk', 'supervisor', 'admin'];
  const SENIOR: readonly Role[] = ['supervisor', 'admin'];
  const KINDS: { kind: string; payload: unknown; requesters: readonly Role[] }[] = [
    { kind: 'card.revoke', payload: { cardId: 'CARD-0001', reason: 'stolen' }, requesters: SENIOR },
    { kind: 'card.reissue', payload: { cardId: 'CARD-0001', reason: 'lost' }, requesters: DESK },
    { kind: 'hotlist.signing-key.rotate', payload: { reason: 'scheduled' }, requesters: SENIOR },
    { kind: 'refund', payload: { cardNumber: '1000000000000001', amountFen: 500, reason: 'overcharge' }, requesters: DESK },
  ];
  for (const { kind, payload, requesters } of KINDS) {
    for (const role of ROLES) {
      // The auditor is stopped by the route, the others by the kind's requester roles.
      const expected = requesters.includes(role) ? [201, undefined] : [403, role === 'auditor' ? 'FORBIDDEN' : 'APPROVAL_FORBIDDEN'];
      it(`${kind} as ${role} -> ${expected.join(' ')}`, async () => {
        const res = await fetch(`${server.url}/api/v1/approvals`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(role)}` },
          body: JSON.stringify({ kind, payload }),
        });
        const json = (await res.json()) as { error?: { code: string } };
        expect([res.status, json.error?.code]).toEqual(expected);
      });
    }
  }
});
