/**
 * The Redis adapter of the NonceStore port against the real Redis: the stored key and value,
 * single use (replay, and many concurrent redemptions over two connections of which exactly
 * one wins), expiry by the backend's clock, the terminal and service-point binding, and the
 * driver failures it turns into NonceStoreError. Each test uses its own key prefix and deletes
 * its keys afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisNonceStore } from '../../backend/src/data/nonceRedisStore.js';
import { type NonceIssue, NonceStoreError } from '../../backend/src/domain/identity/nonceStore.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ISSUED_AT = new Date('2026-11-23T12:00:00.000Z');
const EXPIRES_AT = new Date('2026-11-23T12:01:00.000Z');
const TTL_MS = 60_000;
const RETAIN_MS = 30_000;
const TERMINAL = '300000000001';
const SERVICE_POINT = 'library-central';
const HERE = { terminalId: TERMINAL, servicePoint: SERVICE_POINT };
/** SHA-256 of the 32 bytes A1…A1: how the identity domain names nonce A1…A1. */
const NONCE_HASH = createHash('sha256').update(Buffer.alloc(32, 0xa1)).digest('hex');
/** The stored value of that nonce while fresh: state, expiry in Unix ms, JSON binding. */
const FRESH_VALUE = 'F 1795435260000 ["300000000001","library-central"]';
const USED_VALUE = 'U 1795435260000 ["300000000001","library-central"]';

let a: Redis;
let b: Redis;
let prefix: string;
let store: RedisNonceStore;

const issue = (overrides: Partial<NonceIssue> = {}): Promise<void> =>
  store.issue({ nonceHash: NONCE_HASH, ...HERE, issuedAt: ISSUED_AT, expiresAt: EXPIRES_AT, ...overrides });
const at = (ms: number): Date => new Date(ISSUED_AT.getTime() + ms);

beforeAll(async () => {
  a = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  b = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await a.connect();
  await b.connect();
});

beforeEach(() => {
  prefix = `citycard:test:nonce:${randomBytes(6).toString('hex')}:`;
  store = new RedisNonceStore(a, { keyPrefix: prefix, retainMs: RETAIN_MS });
});

afterEach(async () => {
  const keys = await a.keys(`${prefix}*`);
  if (keys.length > 0) await a.del(...keys);
});

afterAll(async () => {
  await a?.quit();
  await b?.quit();
});

describe('RedisNonceStore', () => {
  it('issues one key per nonce hash, bound to terminal and service point, kept for ttl + retain', async () => {
    await issue();
    expect(await a.keys(`${prefix}*`)).toEqual([prefix + NONCE_HASH]);
    expect(await a.get(prefix + NONCE_HASH)).toBe(FRESH_VALUE);
    const pttl = await a.pttl(prefix + NONCE_HASH);
    expect(pttl).toBeGreaterThan(TTL_MS);
    expect(pttl).toBeLessThanOrEqual(TTL_MS + RETAIN_MS);
  });

  it('redeems once, keeping the key (and its TTL) to recognise a replay', async () => {
    await issue();
    expect(await store.redeem(NONCE_HASH, HERE, at(10_000))).toBe('redeemed');
    expect(await a.get(prefix + NONCE_HASH)).toBe(USED_VALUE);
    expect(await a.pttl(prefix + NONCE_HASH)).toBeGreaterThan(TTL_MS);
    expect(await store.redeem(NONCE_HASH, HERE, at(10_001))).toBe('replayed');
    expect(await store.redeem(NONCE_HASH, HERE, at(TTL_MS + 1))).toBe('replayed');
  });

  it('refuses at expiry by the backend clock, one millisecond before it redeems', async () => {
    await issue();
    expect(await store.redeem(NONCE_HASH, HERE, EXPIRES_AT)).toBe('expired');
    expect(await a.get(prefix + NONCE_HASH)).toBe(FRESH_VALUE);
    expect(await store.redeem(NONCE_HASH, HERE, at(TTL_MS - 1))).toBe('redeemed');
  });

  it('forgets a nonce once Redis expires its key: unknown', async () => {
    await issue();
    await a.pexpire(prefix + NONCE_HASH, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await a.exists(prefix + NONCE_HASH)).toBe(0);
    expect(await store.redeem(NONCE_HASH, HERE, at(1_000))).toBe('unknown');
  });

  it('lets exactly one of many concurrent redemptions over two connections win', async () => {
    await issue();
    const other = new RedisNonceStore(b, { keyPrefix: prefix, retainMs: RETAIN_MS });
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? store : other).redeem(NONCE_HASH, HERE, at(5_000))),
    );
    expect(outcomes.filter((o) => o === 'redeemed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'replayed')).toHaveLength(39);
  });

  it('refuses another terminal or service point without using the nonce up', async () => {
    await issue();
    expect(await store.redeem(NONCE_HASH, { terminalId: '300000000002', servicePoint: SERVICE_POINT }, at(1))).toBe('wrong_terminal');
    expect(await store.redeem(NONCE_HASH, { terminalId: TERMINAL, servicePoint: 'swimming-pool' }, at(1))).toBe('wrong_terminal');
    // The JSON binding keeps ids apart that a plain separator would run together.
    expect(await store.redeem(NONCE_HASH, { terminalId: `${TERMINAL}","library`, servicePoint: 'central' }, at(1))).toBe('wrong_terminal');
    expect(await a.get(prefix + NONCE_HASH)).toBe(FRESH_VALUE);
    expect(await store.redeem(NONCE_HASH, HERE, at(2))).toBe('redeemed');
    expect(await store.redeem(NONCE_HASH, { terminalId: '300000000002', servicePoint: SERVICE_POINT }, at(3))).toBe('wrong_terminal');
  });

  it('answers unknown for a hash never issued, and for a key that is not a nonce', async () => {
    expect(await store.redeem('00'.repeat(32), HERE, at(1))).toBe('unknown');
    await a.set(prefix + NONCE_HASH, 'not a nonce');
    expect(await store.redeem(NONCE_HASH, HERE, at(1))).toBe('unknown');
  });

  it('refuses to issue a hash twice (COLLISION) and keeps the first binding', async () => {
    await issue();
    await expect(issue({ terminalId: '300000000002' })).rejects.toMatchObject({ name: 'NonceStoreError', reason: 'COLLISION' });
    expect(await a.get(prefix + NONCE_HASH)).toBe(FRESH_VALUE);
  });

  it('refuses a nonce that would expire when issued, and a retain time out of range', async () => {
    await expect(issue({ expiresAt: ISSUED_AT })).rejects.toThrow(RangeError);
    expect(() => new RedisNonceStore(a, { retainMs: -1 })).toThrow(RangeError);
    expect(() => new RedisNonceStore(a, { retainMs: 3_600_001 })).toThrow(RangeError);
  });
});

describe('RedisNonceStore failures', () => {
  it('turns an unreachable Redis into NonceStoreError UNAVAILABLE for issue and redeem', async () => {
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    const unreachable = new RedisNonceStore(down);
    try {
      await expect(unreachable.issue({ nonceHash: NONCE_HASH, ...HERE, issuedAt: ISSUED_AT, expiresAt: EXPIRES_AT })).rejects.toSatisfy(
        (err: unknown) => err instanceof NonceStoreError && err.reason === 'UNAVAILABLE' && err.cause instanceof Error,
      );
      await expect(unreachable.redeem(NONCE_HASH, HERE, at(1))).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
    } finally {
      down.disconnect();
    }
  });

  it('sends the script itself when Redis does not know it (NOSCRIPT), and refuses a nonsense answer', async () => {
    const calls: string[] = [];
    const fake = {
      evalsha: async () => {
        calls.push('evalsha');
        throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      },
      eval: async (script: string, keys: number, key: string, binding: string, now: string) => {
        calls.push(`eval ${keys} ${key} ${binding} ${now} ${script.includes("SETRANGE', KEYS[1], 0, 'U'")}`);
        return calls.length === 2 ? 'redeemed' : 'maybe';
      },
    } as unknown as Redis;
    const scripted = new RedisNonceStore(fake, { keyPrefix: 'p:' });
    expect(await scripted.redeem(NONCE_HASH, HERE, at(1))).toBe('redeemed');
    expect(calls).toEqual(['evalsha', `eval 1 p:${NONCE_HASH} ["300000000001","library-central"] 1795435200001 true`]);
    await expect(scripted.redeem(NONCE_HASH, HERE, at(1))).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
  });
});
