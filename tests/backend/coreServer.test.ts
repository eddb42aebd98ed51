import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../backend/src/app.js';
import { ConfigError, loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { MigrationError, migrate, readMigrations } from '../../backend/src/data/migrate.js';
import { ROUTE_MODULES } from '../../backend/src/http/routes.js';
import { startServer } from '../../backend/src/http/server.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'citycard-core-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('config', () => {
  it('has safe defaults', () => {
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: '.citycard/backend', bodyLimitBytes: 65_536, sessionIdleMinutes: 480, sessionAbsoluteMinutes: 720, loginMaxFailuresPerAccount: 5, loginLockoutMinutes: 15, trustProxy: false });
  });
  it('reads the environment, flags win', () => {
    const env = { CITYCARD_BACKEND_PORT: '9000', CITYCARD_BACKEND_DATA_DIR: 'envdir', CITYCARD_BACKEND_TRUST_PROXY: 'true' };
    expect(loadConfig(env)).toMatchObject({ port: 9000, dataDir: 'envdir', trustProxy: true });
    expect(loadConfig(env, { port: '9001', dataDir: undefined })).toMatchObject({ port: 9001, dataDir: 'envdir' });
  });
  it('names every bad setting with its variable', () => {
    expect(() => loadConfig({ CITYCARD_BACKEND_PORT: '70000', CITYCARD_BACKEND_LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    expect(() => loadConfig({ CITYCARD_BACKEND_PORT: 'http' })).toThrow(/port \(CITYCARD_BACKEND_PORT\)/);
    expect(() => loadConfig({ CITYCARD_BACKEND_SESSION_IDLE_MINUTES: '800' })).toThrow(/exceeds/);
  });
});

describe('migrations', () => {
  it('apply once, in order, with WAL and foreign keys on', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    expect(migrate(db)).toEqual(readMigrations().map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => db.prepare("INSERT INTO staff_sessions VALUES ('h', 'no-such-staff', 'a', 'a', 'a')").run()).toThrow(/FOREIGN KEY/);
    db.close();
  });
  it('roll back a failing migration whole', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '001_ok.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(dir, '002_bad.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);');
    const db = openDatabase(':memory:');
    expect(() => migrate(db, readMigrations(dir))).toThrow(/nowhere/);
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual([{ version: 1 }]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").all()).toEqual([]);
    db.close();
  });
  it('refuse duplicate numbers and bad names', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '001_a.sql'), '');
    writeFileSync(join(dir, '001_b.sql'), '');
    expect(() => readMigrations(dir)).toThrow(MigrationError);
    const dir2 = tempDir();
    writeFileSync(join(dir2, '1_a.sql'), '');
    expect(() => readMigrations(dir2)).toThrow(/NNN_name/);
  });
});

describe('graceful shutdown', () => {
  it('finishes the in-flight request, refuses new connections, then closes the database', async () => {
    const db = openDatabase(tempDir());
    migrate(db);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const { app } = createApp({
      config: loadConfig({}),
      db,
      routes: [...ROUTE_MODULES, (registry) => registry.add({ method: 'get', path: '/test/slow', summary: 'slow', access: 'public', handler: async () => { entered(); await gate; return { done: true }; } })],
    });
    const server = await startServer(app, { host: '127.0.0.1', port: 0, graceSeconds: 30, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
    const slow = fetch(`${server.url}/test/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await inside;
    const closed = server.close();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    expect(db.open).toBe(true);
    release();
    expect(await slow).toEqual({ status: 200, body: { done: true } });
    await closed;
    expect(db.open).toBe(false);
  });
});
