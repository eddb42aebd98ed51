import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { ROUTE_MODULES } from '../../backend/src/http/routes.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

const PASSWORD = 'hostile input passphrase';
const SQL_NAME = "x'); DROP TABLE staff; --";
const UNICODE_DISPLAY = "Zoë Ōtsuka-李 O'Brien; DROP TABLE staff";
const executed: unknown[] = [];

let server: RunningServer;
let admin: string;
let clerk: string;
let supervisor: string;
const db = openDatabase(':memory:');

beforeAll(async () => {
  migrate(db);
  const built = createApp({
    config: loadConfig({}),
    db,
    routes: [
      ...ROUTE_MODULES,
      (registry, ctx) => {
        ctx.approvals.defineKind({ kind: 'test.refund', description: 'refund', payload: z.strictObject({ amount: z.number().int().positive() }), execute: (p) => { executed.push(p); return { refunded: p.amount }; } });
        registry.add({ method: 'get', path: '/test/boom', summary: 'fails', access: 'public', handler: () => { throw new Error('secret internal detail /var/db'); } });
      },
    ],
  });
  const tokens: string[] = [];
  for (const [username, role] of [['admin1', 'admin'], ['clerk1', 'clerk'], ['sup1', 'supervisor']] as const) {
    const { staff, oneTimePassword } = await built.context.staff.create({ username, displayName: username, role }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    tokens.push((await built.context.sessions.login(username, PASSWORD, '127.0.0.1')).token);
  }
  [admin, clerk, supervisor] = tokens as [string, string, string];
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
});
afterAll(() => server.close());

async function raw(method: string, path: string, body: string | undefined, token?: string) {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, json: (await res.json().catch(() => undefined)) as any, headers: res.headers };
}
const staffCount = (): number => (db.prepare('SELECT COUNT(*) AS n FROM staff').get() as { n: number }).n;

describe('hostile input', () => {
  it('oversized body -> 413 with a reason', async () => {
    const res = await raw('POST', '/api/v1/staff', JSON.stringify({ username: 'big', displayName: 'x'.repeat(70_000), role: 'clerk' }), admin);
    expect(res.status).toBe(413);
    expect(res.json.error).toEqual({ code: 'BODY_TOO_LARGE', message: 'request body exceeds 65536 bytes' });
    expect(staffCount()).toBe(3);
  });

  it('malformed JSON -> 400', async () => {
    const res = await raw('POST', '/api/v1/auth/login', '{"username": "clerk1",');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('MALFORMED_JSON');
  });

  it('wrong types -> 400 listing each issue', async () => {
    const res = await raw('POST', '/api/v1/staff', JSON.stringify({ username: 42, displayName: ['a'], role: 'root' }), admin);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_FAILED');
    expect(res.json.error.details.issues.map((i: { path: string }) => i.path)).toEqual(['body.username', 'body.displayName', 'body.role']);
    expect(staffCount()).toBe(3);
  });

  it('unknown fields are refused, not ignored', async () => {
    const res = await raw('POST', '/api/v1/staff', JSON.stringify({ username: 'newbie', displayName: 'N', role: 'clerk', isAdmin: true }), admin);
    expect(res.status).toBe(400);
    expect(staffCount()).toBe(3);
  });

  for (const name of [SQL_NAME, 'admin1 OR 1=1', 'zoë', '李雷', 'ADMIN', 'a\u0000b', 'ab']) {
    it(`user name ${JSON.stringify(name)} -> 400, nothing created`, async () => {
      const res = await raw('POST', '/api/v1/staff', JSON.stringify({ username: name, displayName: 'x', role: 'clerk' }), admin);
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(/user name has 3\.\.32 characters/);
      expect(staffCount()).toBe(3);
      expect((await raw('POST', '/api/v1/auth/login', JSON.stringify({ username: name, password: PASSWORD }))).status).toBe(400);
    });
  }

  it('SQL metacharacters in a path parameter -> 400, nothing changes', async () => {
    const res = await raw('PATCH', `/api/v1/staff/${encodeURIComponent(SQL_NAME)}`, JSON.stringify({ disabled: true }), admin);
    expect(res.status).toBe(400);
    expect((await raw('GET', '/api/v1/approvals/1%27%20OR%201%3D1', undefined, clerk)).status).toBe(400);
    expect(staffCount()).toBe(3);
  });

  it('a unicode display name with SQL metacharacters is stored verbatim', async () => {
    const res = await raw('POST', '/api/v1/staff', JSON.stringify({ username: 'zoe.o', displayName: UNICODE_DISPLAY, role: 'clerk' }), admin);
    expect(res.status).toBe(201);
    expect(res.json.staff.displayName).toBe(UNICODE_DISPLAY);
    const list = await raw('GET', '/api/v1/staff', undefined, admin);
    expect(list.json.staff.find((s: { username: string }) => s.username === 'zoe.o').displayName).toBe(UNICODE_DISPLAY);
    expect((await raw('POST', '/api/v1/staff', JSON.stringify({ username: 'zoe.o', displayName: 'again', role: 'clerk' }), admin)).status).toBe(409);
  });

  it('control characters in a display name -> 400', async () => {
    const res = await raw('POST', '/api/v1/staff', JSON.stringify({ username: 'ctrl', displayName: 'a\u202Eb', role: 'clerk' }), admin);
    expect(res.status).toBe(400);
  });

  it('an unexpected error -> 500 with a generic message', async () => {
    const res = await raw('GET', '/test/boom', undefined);
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  it('unknown route -> 404 JSON; security headers are set', async () => {
    const res = await raw('GET', '/nope', undefined);
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('NOT_FOUND');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('an admin cannot demote or disable themselves', async () => {
    const res = await raw('PATCH', '/api/v1/staff/admin1', JSON.stringify({ role: 'clerk' }), admin);
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('STAFF_RULE');
  });
});

describe('dual control over HTTP', () => {
  it('clerk requests, clerk cannot approve, supervisor approves and the action runs once', async () => {
    const bad = await raw('POST', '/api/v1/approvals', JSON.stringify({ kind: 'test.refund', payload: { amount: -5 } }), clerk);
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('APPROVAL_KIND');
    const req = await raw('POST', '/api/v1/approvals', JSON.stringify({ kind: 'test.refund', payload: { amount: 500 } }), clerk);
    expect(req.status).toBe(201);
    const id: string = req.json.id;
    expect((await raw('POST', `/api/v1/approvals/${id}/approve`, undefined, clerk)).status).toBe(403);
    expect(executed).toEqual([]);
    const ok = await raw('POST', `/api/v1/approvals/${id}/approve`, undefined, supervisor);
    expect(ok.status).toBe(200);
    expect(ok.json.result).toEqual({ refunded: 500 });
    expect(executed).toEqual([{ amount: 500 }]);
    const again = await raw('POST', `/api/v1/approvals/${id}/approve`, undefined, admin);
    expect(again.status).toBe(409);
    expect(executed).toHaveLength(1);
  });

  it('a supervisor cannot approve their own request', async () => {
    const req = await raw('POST', '/api/v1/approvals', JSON.stringify({ kind: 'test.refund', payload: { amount: 1 } }), supervisor);
    const res = await raw('POST', `/api/v1/approvals/${req.json.id}/approve`, undefined, supervisor);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('APPROVAL_FORBIDDEN');
  });
});
