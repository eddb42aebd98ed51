/**
 * The console's static routes and the audit routes it reads: who may call them (route x role
 * matrix), what they serve, and that hostile input gets a 4xx with a reason and changes nothing.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { verifyAuditChain } from '../../backend/src/domain/audit/verifyAuditChain.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { auditRoutes } from '../../backend/src/http/auditRoutes.js';
import { consoleRoutes, loadConsoleAssets } from '../../backend/src/http/consoleRoutes.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

const PASSWORD = 'console routes passphrase';
const CONSOLE_DIR = fileURLToPath(new URL('../../backend/console/', import.meta.url));
const SQL_SUBJECT = "x' OR '1'='1' --";

/** The routes of consoleRoutes and auditRoutes, and the roles admitted ('public' = no sign-in). */
const MATRIX: { method: string; path: string; allowed: readonly Role[] | 'public' }[] = [
  { method: 'GET', path: '/console', allowed: 'public' },
  { method: 'GET', path: '/console/:asset', allowed: 'public' },
  { method: 'GET', path: '/api/v1/audit/verify', allowed: ['auditor', 'admin'] },
  { method: 'GET', path: '/api/v1/audit', allowed: ['auditor', 'admin'] },
];

let server: RunningServer;
let declared: string[];
const tokens = new Map<Role, string>();
const ids = new Map<Role, string>();
const db = openDatabase(':memory:');

beforeAll(async () => {
  migrate(db);
  const built = createApp({ config: loadConfig({}), db });
  const own = createApp({ config: loadConfig({}), db, routes: [auditRoutes, consoleRoutes] });
  declared = own.registry.routes().map((r) => `${r.method.toUpperCase()} ${r.path}`);
  for (const role of ROLES) {
    const { staff, oneTimePassword } = await built.context.staff.create({ username: `${role}1`, displayName: role, role }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    ids.set(role, staff.id);
    tokens.set(role, (await built.context.sessions.login(`${role}1`, PASSWORD, '127.0.0.1')).token);
  }
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
});

afterAll(() => server.close());

async function get(path: string, role?: Role): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(server.url + path, { headers: role === undefined ? {} : { authorization: `Bearer ${tokens.get(role)}` } });
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('application/json') === true ? (JSON.parse(text) as unknown) : text;
  return { status: res.status, body: json, headers: res.headers };
}
const codeOf = (body: unknown): string | undefined => (body as { error?: { code?: string } }).error?.code;
const auditRows = (): number => (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;

describe('console and audit route x role matrix', () => {
  it('covers every route the two modules declare', () => {
    expect(MATRIX.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...declared].sort());
  });

  for (const route of MATRIX) {
    const path = route.path.replace(':asset', 'app.js') + (route.path === '/api/v1/audit' ? '?subject=x' : '');
    if (route.allowed !== 'public') {
      it(`${route.method} ${route.path} without a session -> 401`, async () => {
        const res = await get(path);
        expect([res.status, codeOf(res.body)]).toEqual([401, 'UNAUTHENTICATED']);
      });
    }
    for (const role of ROLES) {
      const allowed = route.allowed === 'public' || route.allowed.includes(role);
      it(`${route.method} ${route.path} as ${role} -> ${allowed ? '200' : '403'}`, async () => {
        const res = await get(path, role);
        if (allowed) expect(res.status).toBe(200);
        else expect([res.status, codeOf(res.body)]).toEqual([403, 'FORBIDDEN']);
      });
    }
  }
});

describe('console files', () => {
  it('serves the page and each asset with its content type, under the same-origin CSP', async () => {
    const page = await get('/console');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.body).toBe(readFileSync(`${CONSOLE_DIR}index.html`, 'utf8'));
    const script = await get('/console/app.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe(readFileSync(`${CONSOLE_DIR}app.js`, 'utf8'));
    expect((await get('/console/console.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('has no inline script, inline handler or inline style (the CSP would block them)', () => {
    const html = readFileSync(`${CONSOLE_DIR}index.html`, 'utf8');
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/console/app.js">']);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=|<style/i);
  });

  it('every module another module imports is served', () => {
    const assets = loadConsoleAssets(CONSOLE_DIR);
    for (const [name, asset] of assets) {
      if (!name.endsWith('.js')) continue;
      for (const m of asset.body.toString('utf8').matchAll(/from '\.\/([^']+)'/g)) {
        expect(assets.has(m[1] ?? ''), `${name} imports ${m[1]}`).toBe(true);
      }
    }
  });

  it('refuses unknown and hostile asset names with a reason', async () => {
    const unknown = await get('/console/nothing-here.js');
    expect([unknown.status, codeOf(unknown.body)]).toEqual([404, 'NOT_FOUND']);
    for (const hostile of ['%2e%2e%2fpackage.json', '..%2F..%2Fpackage.json', 'app.js%00.css', 'APP.JS', 'index.html.js%2F']) {
      const res = await get(`/console/${hostile}`);
      expect(res.status, hostile).toBeGreaterThanOrEqual(400);
      expect(res.status, hostile).toBeLessThan(500);
      expect(typeof res.body === 'object' && codeOf(res.body) !== undefined, hostile).toBe(true);
    }
  });
});

describe('audit routes', () => {
  it('verify proves the chain that the database holds', async () => {
    const res = await get('/api/v1/audit/verify', 'auditor');
    expect(res.body).toEqual(verifyAuditChain(db));
    expect(res.body).toMatchObject({ ok: true, entries: auditRows() });
  });

  it('lists the entries about one subject, oldest first', async () => {
    const adminId = ids.get('admin') ?? '';
    const res = await get(`/api/v1/audit?subject=${adminId}`, 'auditor');
    const entries = (res.body as { entries: { action: string; subject: string; seq: number }[] }).entries;
    expect(entries.map((e) => e.action)).toEqual(['staff.create', 'staff.change_password']);
    expect(entries.every((e) => e.subject === adminId)).toBe(true);
    expect(entries[0]!.seq).toBeLessThan(entries[1]!.seq);
  });

  it('hostile queries get 400 with a reason or match nothing, and change nothing', async () => {
    const before = auditRows();
    for (const q of ['', '?subject=', `?subject=${'a'.repeat(201)}`, '?subject=x&limit=5', '?subject[]=x']) {
      const res = await get(`/api/v1/audit${q}`, 'auditor');
      expect([res.status, codeOf(res.body)], q).toEqual([400, 'VALIDATION_FAILED']);
    }
    const sql = await get(`/api/v1/audit?subject=${encodeURIComponent(SQL_SUBJECT)}`, 'auditor');
    expect(sql).toMatchObject({ status: 200, body: { entries: [] } });
    const extra = await get('/api/v1/audit/verify?x=1', 'admin');
    expect([extra.status, codeOf(extra.body)]).toEqual([400, 'VALIDATION_FAILED']);
    expect(auditRows()).toBe(before);
  });
});
