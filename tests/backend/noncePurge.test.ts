/**
 * The embedded (SQLite) nonce store: the periodic purge of expired rows under fake timers, its
 * stop at shutdown, and the choice of store by configuration (Redis when a URL is set, SQLite
 * with a purge when it is '').
 */
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../backend/src/config.js';
import { RedisNonceStore } from '../../backend/src/data/nonceRedisStore.js';
import { NonceRepository } from '../../backend/src/data/nonceRepository.js';
import { openNonceStore } from '../../backend/src/data/nonceStores.js';
import { scheduleNoncePurge } from '../../backend/src/domain/identity/noncePurge.js';
import { fixedClock, hotlistDatabase } from './hotlistTestKit.js';

const NOW = '2026-11-23T12:00:00.000Z';
const HASH_1 = '11'.repeat(32);
const HASH_2 = '22'.repeat(32);
const BINDING = { terminalId: '300000000001', servicePoint: 'library-central' };
const silent = pino({ level: 'silent' });

afterEach(() => {
  vi.useRealTimers();
});

function seeded() {
  const db = hotlistDatabase();
  const clock = fixedClock(NOW);
  const repo = new NonceRepository(db);
  const t0 = clock.now();
  repo.issue({ nonceHash: HASH_1, ...BINDING, issuedAt: t0, expiresAt: new Date(t0.getTime() + 60_000) });
  repo.issue({ nonceHash: HASH_2, ...BINDING, issuedAt: t0, expiresAt: new Date(t0.getTime() + 120_000) });
  const hashes = () => db.prepare<[], { nonce_hash: string }>('SELECT nonce_hash FROM identity_nonces ORDER BY nonce_hash').all().map((r) => r.nonce_hash);
  return { db, clock, repo, hashes };
}

describe('periodic purge of expired SQLite nonces', () => {
  it('deletes each nonce after it expired, once per interval, and stops when told', () => {
    vi.useFakeTimers();
    const { clock, repo, hashes } = seeded();
    const purged: number[] = [];
    const schedule = scheduleNoncePurge(() => repo.purgeExpired(clock.now()), 30_000, { onPurged: (n) => purged.push(n), onError: (err) => { throw err; } });
    clock.advance(60_001);
    vi.advanceTimersByTime(29_999);
    expect(hashes()).toEqual([HASH_1, HASH_2]);
    vi.advanceTimersByTime(1);
    expect(hashes()).toEqual([HASH_2]);
    clock.advance(60_000);
    schedule.stop();
    schedule.stop();
    vi.advanceTimersByTime(120_000);
    expect(hashes()).toEqual([HASH_2]);
    expect(purged).toEqual([1]);
  });

  it('hands a failed purge to onError and goes on', () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const schedule = scheduleNoncePurge(() => {
      calls++;
      if (calls === 1) throw new Error('database is locked');
      return 0;
    }, 1_000, { onError: (err) => errors.push(err) });
    vi.advanceTimersByTime(2_000);
    schedule.stop();
    expect([calls, errors.map((e) => (e as Error).message)]).toEqual([2, ['database is locked']]);
  });

  it('does not keep the process alive', () => {
    const spy = vi.spyOn(globalThis, 'setInterval');
    const schedule = scheduleNoncePurge(() => 0, 1_000, { onError: () => undefined });
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    spy.mockRestore();
    expect(timer.hasRef()).toBe(false);
    schedule.stop();
  });

  it('refuses an interval outside 1 s..24 h', () => {
    for (const ms of [999, 86_400_001, 1.5e3 + 0.5]) {
      expect(() => scheduleNoncePurge(() => 0, ms, { onError: () => undefined })).toThrow(RangeError);
    }
  });
});

describe('choice of nonce store', () => {
  it('keeps nonces in SQLite with a purge every noncePurgeIntervalSeconds when no Redis URL is set', async () => {
    vi.useFakeTimers();
    const { db, clock, hashes } = seeded();
    const opened = openNonceStore({ config: loadConfig({}, { redisUrl: '', noncePurgeIntervalSeconds: 10 }), db, logger: silent, now: clock.now });
    expect(opened.kind).toBe('sqlite');
    expect(opened.store).toBeInstanceOf(NonceRepository);
    clock.advance(120_001);
    vi.advanceTimersByTime(10_000);
    expect(hashes()).toEqual([]);
    await opened.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses Redis with the configured key prefix when a Redis URL is set, connecting only when used', async () => {
    const opened = openNonceStore({ config: loadConfig({}, { redisNonceKeyPrefix: 'citycard:test:unused:' }), db: hotlistDatabase(), logger: silent, now: () => new Date(NOW) });
    expect(opened.kind).toBe('redis');
    expect(opened.store).toBeInstanceOf(RedisNonceStore);
    await opened.close();
  });

  it('validates the new settings by their variables', () => {
    expect(loadConfig({ CITYCARD_BACKEND_REDIS_NONCE_KEY_PREFIX: 'city-a:nonce:', CITYCARD_BACKEND_NONCE_PURGE_INTERVAL_SECONDS: '300' })).toMatchObject({
      redisNonceKeyPrefix: 'city-a:nonce:',
      noncePurgeIntervalSeconds: 300,
    });
    expect(() => loadConfig({ CITYCARD_BACKEND_NONCE_PURGE_INTERVAL_SECONDS: '0' })).toThrow(/CITYCARD_BACKEND_NONCE_PURGE_INTERVAL_SECONDS/);
    expect(() => loadConfig({ CITYCARD_BACKEND_REDIS_NONCE_KEY_PREFIX: 'has space' })).toThrow(/CITYCARD_BACKEND_REDIS_NONCE_KEY_PREFIX/);
  });
});
