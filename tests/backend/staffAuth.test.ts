import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { MemoryAuditSink } from '../../backend/src/domain/audit/auditSink.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

const T0 = new Date('2025-03-01T08:00:00.000Z');
const CLERK_PASSWORD = 'correct horse battery staple';
const WRONG_PASSWORD = 'wrong horse battery staple';

let dir: string;
let now: Date;
let server: RunningServer;
let logText: string;
let audit: MemoryAuditSink;
let ctx: ReturnType<typeof createApp>['context'];

async function call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

const login = (username: string, password: string) => call('POST', '/api/v1/auth/login', { username, password });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'citycard-staff-auth-'));
  now = T0;
  logText = '';
  const sink = new Writable({ write(chunk, _enc, cb) { logText += String(chunk); cb(); } });
  const logger = pino({ level: 'trace' }, sink);
  const db = openDatabase(dir);
  migrate(db);
  audit = new MemoryAuditSink();
  const config = loadConfig({}, { dataDir: dir, port: 0 });
  const built = createApp({ config, db, logger, audit, clock: () => now });
  ctx = built.context;
  const { staff, oneTimePassword } = await ctx.staff.create({ username: 'clerk1', displayName: 'Clerk One', role: 'clerk' }, 'system');
  await ctx.staff.changePassword(staff, oneTimePassword, CLERK_PASSWORD);
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger, onClosed: () => db.close() });
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('login', () => {
  it('answers a token that opens /auth/me, and logout ends it', async () => {
    const res = await login('clerk1', CLERK_PASSWORD);
    expect(res.status).toBe(200);
    expect(res.json.staff).toMatchObject({ username: 'clerk1', role: 'clerk', mustChangePassword: false });
    expect(res.json.expiresAt).toBe('2025-03-01T20:00:00.000Z');
    const token: string = res.json.token;
    expect((await call('GET', '/api/v1/auth/me', undefined, token)).json).toMatchObject({ username: 'clerk1', role: 'clerk' });
    expect((await call('POST', '/api/v1/auth/logout', undefined, token)).status).toBe(204);
    const after = await call('GET', '/api/v1/auth/me', undefined, token);
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a wrong password and an unknown user with the same answer', async () => {
    const wrong = await login('clerk1', WRONG_PASSWORD);
    const unknown = await login('nobody', WRONG_PASSWORD);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json).toEqual(unknown.json);
    expect(wrong.json.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('locks the account after 5 failures for 15 minutes, even for the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await login('clerk1', WRONG_PASSWORD)).status).toBe(401);
    const locked = await login('clerk1', CLERK_PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.json.error.code).toBe('LOGIN_LOCKED');
    expect(locked.json.error.message).toMatch(/15 minute/);
    expect(locked.headers.get('retry-after')).toBe('900');
    now = new Date(T0.getTime() + 14 * 60_000);
    expect((await login('clerk1', CLERK_PASSWORD)).status).toBe(429);
    now = new Date(T0.getTime() + 15 * 60_000);
    expect((await login('clerk1', CLERK_PASSWORD)).status).toBe(200);
  });

  it('locks a client address that guesses many accounts', async () => {
    for (let i = 0; i < 20; i++) await login(`guess${i}`, WRONG_PASSWORD);
    const res = await login('clerk1', CLERK_PASSWORD);
    expect(res.status).toBe(429);
  });

  it('a success clears the account counter', async () => {
    for (let i = 0; i < 4; i++) await login('clerk1', WRONG_PASSWORD);
    expect((await login('clerk1', CLERK_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 4; i++) await login('clerk1', WRONG_PASSWORD);
    expect((await login('clerk1', CLERK_PASSWORD)).status).toBe(200);
  });
});

describe('session expiry', () => {
  it('ends after 8 h idle', async () => {
    const token: string = (await login('clerk1', CLERK_PASSWORD)).json.token;
    now = new Date(T0.getTime() + 8 * 3600_000 - 1000);
    expect((await call('GET', '/api/v1/auth/me', undefined, token)).status).toBe(200);
    now = new Date(now.getTime() + 8 * 3600_000);
    const res = await call('GET', '/api/v1/auth/me', undefined, token);
    expect(res.status).toBe(401);
    expect(res.json.error.message).toMatch(/expired/);
  });

  it('ends 12 h after login even when in use', async () => {
    const token: string = (await login('clerk1', CLERK_PASSWORD)).json.token;
    for (let h = 1; h < 12; h++) {
      now = new Date(T0.getTime() + h * 3600_000);
      expect((await call('GET', '/api/v1/auth/me', undefined, token)).status).toBe(200);
    }
    now = new Date(T0.getTime() + 12 * 3600_000);
    expect((await call('GET', '/api/v1/auth/me', undefined, token)).status).toBe(401);
  });

  it('ends when an admin disables the account', async () => {
    const token: string = (await login('clerk1', CLERK_PASSWORD)).json.token;
    ctx.staff.update('clerk1', { disabled: true }, { id: 'root', username: 'root', role: 'admin' });
    expect((await call('GET', '/api/v1/auth/me', undefined, token)).status).toBe(401);
    expect((await login('clerk1', CLERK_PASSWORD)).status).toBe(401);
  });
});

describe('one-time passwords', () => {
  it('admits only a password change until it is changed', async () => {
    const { oneTimePassword } = await ctx.staff.create({ username: 'sup1', displayName: 'Sup', role: 'supervisor' }, 'system');
    const first = await login('sup1', oneTimePassword);
    expect(first.json.staff.mustChangePassword).toBe(true);
    const token: string = first.json.token;
    const blocked = await call('GET', '/api/v1/approvals', undefined, token);
    expect(blocked.status).toBe(403);
    expect(blocked.json.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const short = await call('POST', '/api/v1/auth/password', { currentPassword: oneTimePassword, newPassword: 'short' }, token);
    expect(short.status).toBe(400);
    expect((await call('POST', '/api/v1/auth/password', { currentPassword: WRONG_PASSWORD, newPassword: 'a new long passphrase' }, token)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/password', { currentPassword: oneTimePassword, newPassword: 'a new long passphrase' }, token)).status).toBe(204);
    expect((await call('GET', '/api/v1/approvals', undefined, token)).status).toBe(200);
    expect((await login('sup1', oneTimePassword)).status).toBe(401);
    expect((await login('sup1', 'a new long passphrase')).status).toBe(200);
  });

  it('bootstrap creates admin once', async () => {
    const db = openDatabase(':memory:');
    migrate(db);
    const { context } = createApp({ config: loadConfig({}), db });
    const pw = await context.staff.bootstrapAdmin();
    expect(pw).toMatch(/^[A-Za-z2-9]{20}$/);
    expect(context.staff.list().map((s) => [s.username, s.role, s.mustChangePassword])).toEqual([['admin', 'admin', true]]);
    expect(await context.staff.bootstrapAdmin()).toBeUndefined();
    db.close();
  });
});

describe('secrets at rest and in logs', () => {
  it('never stores or logs a password or a session token in clear', async () => {
    const token: string = (await login('clerk1', CLERK_PASSWORD)).json.token;
    await login('clerk1', WRONG_PASSWORD);
    await call('GET', '/api/v1/auth/me', undefined, token);
    await server.close();
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1'));
    const everything = files.join('\n') + logText + JSON.stringify(audit.entries);
    expect(everything).toContain('scrypt$16384$8$1$');
    for (const secret of [CLERK_PASSWORD, WRONG_PASSWORD, token]) expect(everything).not.toContain(secret);
    expect(logText).toContain('"route":"/api/v1/auth/login"');
  });
});
