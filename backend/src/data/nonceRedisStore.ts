/**
 * Redis adapter of the `NonceStore` port. One string key per nonce, `PREFIX + sha256hex`:
 *
 * ```
 * <state> SP <expiresAt, Unix ms> SP <JSON [terminalId, servicePoint]>
 * state: 'F' fresh, 'U' used
 * ```
 *
 * Issue is `SET key value NX PX (ttl + retain)`. Redeem is one Lua script, which Redis runs
 * atomically: it reads the key, checks binding, state and expiry (against the backend's clock,
 * passed in), and flips the state byte to 'U' with SETRANGE, which keeps the key's TTL. Two
 * concurrent redemptions are serialized by Redis, so only the first sees 'F'. Keys outlive
 * their nonce by `retainMs` so that a replay or a late answer gets its precise refusal; after
 * that Redis forgets them and the nonce is unknown. Nothing is written to SQLite.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  type NonceBinding,
  type NonceIssue,
  type NonceRedemption,
  type NonceStore,
  NonceStoreError,
} from '../domain/identity/nonceStore.js';

/** Default key prefix; deployments sharing a Redis set their own. */
export const DEFAULT_NONCE_KEY_PREFIX = 'citycard:nonce:';
/** Default time a key is kept after its nonce expired. */
export const DEFAULT_NONCE_RETAIN_MS = 60_000;

const REDEEM_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then return 'unknown' end
local state, expires, binding = string.match(v, '^(%u) (%d+) (.*)$')
if not state then return 'unknown' end
if binding ~= ARGV[1] then return 'wrong_terminal' end
if state ~= 'F' then return 'replayed' end
if tonumber(ARGV[2]) >= tonumber(expires) then return 'expired' end
redis.call('SETRANGE', KEYS[1], 0, 'U')
return 'redeemed'
`;
const REDEEM_SHA = createHash('sha1').update(REDEEM_SCRIPT).digest('hex');
const OUTCOMES: ReadonlySet<string> = new Set<NonceRedemption>(['redeemed', 'unknown', 'wrong_terminal', 'replayed', 'expired']);

export interface RedisNonceStoreOptions {
  /** Key prefix, default {@link DEFAULT_NONCE_KEY_PREFIX}. */
  readonly keyPrefix?: string;
  /** Milliseconds a key is kept after expiry, 0..3,600,000; default {@link DEFAULT_NONCE_RETAIN_MS}. */
  readonly retainMs?: number;
}

export class RedisNonceStore implements NonceStore {
  readonly #redis;
  readonly #prefix;
  readonly #retainMs;

  /**
   * `redis` is a normal (not subscribed) connection owned by the caller. Throws `RangeError`
   * for a `retainMs` outside 0..3,600,000.
   */
  constructor(redis: Redis, options: RedisNonceStoreOptions = {}) {
    const retainMs = options.retainMs ?? DEFAULT_NONCE_RETAIN_MS;
    if (!Number.isInteger(retainMs) || retainMs < 0 || retainMs > 3_600_000) throw new RangeError('retainMs is an integer 0..3600000');
    this.#redis = redis;
    this.#prefix = options.keyPrefix ?? DEFAULT_NONCE_KEY_PREFIX;
    this.#retainMs = retainMs;
  }

  /**
   * Throws `NonceStoreError` `COLLISION` when the key exists, `UNAVAILABLE` when Redis cannot
   * be reached, and `RangeError` when `expiresAt` is not after `issuedAt`.
   */
  async issue(nonce: NonceIssue): Promise<void> {
    const ttlMs = nonce.expiresAt.getTime() - nonce.issuedAt.getTime();
    if (!(ttlMs > 0)) throw new RangeError('a nonce must expire after it is issued');
    const value = `F ${nonce.expiresAt.getTime()} ${binding(nonce)}`;
    let answer: string | null;
    try {
      answer = await this.#redis.set(this.#key(nonce.nonceHash), value, 'PX', ttlMs + this.#retainMs, 'NX');
    } catch (err) {
      throw unavailable(err);
    }
    if (answer !== 'OK') throw new NonceStoreError('COLLISION', 'a nonce with this hash is already stored');
  }

  /** Throws `NonceStoreError` `UNAVAILABLE` when Redis cannot be reached or answers nonsense. */
  async redeem(nonceHash: string, presenter: NonceBinding, now: Date): Promise<NonceRedemption> {
    const args = [this.#key(nonceHash), binding(presenter), String(now.getTime())] as const;
    let answer: unknown;
    try {
      answer = await this.#redis.evalsha(REDEEM_SHA, 1, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw unavailable(err);
      // First use since Redis started (or after SCRIPT FLUSH): send the script itself; Redis caches it.
      try {
        answer = await this.#redis.eval(REDEEM_SCRIPT, 1, ...args);
      } catch (evalErr) {
        throw unavailable(evalErr);
      }
    }
    if (typeof answer !== 'string' || !OUTCOMES.has(answer)) throw new NonceStoreError('UNAVAILABLE', 'the nonce store gave an unexpected answer');
    return answer as NonceRedemption;
  }

  #key(nonceHash: string): string {
    return this.#prefix + nonceHash;
  }
}

// JSON quoting makes the pair unambiguous whatever characters the ids hold.
function binding(b: NonceBinding): string {
  return JSON.stringify([b.terminalId, b.servicePoint]);
}

function unavailable(cause: unknown): NonceStoreError {
  return new NonceStoreError('UNAVAILABLE', 'the nonce store (Redis) cannot be reached', { cause });
}
