/**
 * The `NonceStore` port: where identity-verification nonces live between issue and use. Nonces
 * are kept by their SHA-256 only, bound to the terminal and service point they were issued to,
 * and can be redeemed once. Adapters: `RedisNonceStore` (data/nonceRedisStore.ts, the default
 * when a Redis URL is configured) and `NonceRepository` (data/nonceRepository.ts, SQLite, the
 * embedded fallback).
 */

/** Who a nonce was issued to, and who presents it. */
export interface NonceBinding {
  readonly terminalId: string;
  readonly servicePoint: string;
}

export interface NonceIssue extends NonceBinding {
  /** SHA-256 of the nonce, 64 lower-case hex digits. */
  readonly nonceHash: string;
  readonly issuedAt: Date;
  /** Presenting the nonce at or after this instant is refused as expired. */
  readonly expiresAt: Date;
}

/**
 * Outcome of one redemption, checked in this order: `unknown` (never issued, or forgotten),
 * `wrong_terminal` (bound to another terminal or service point; the nonce stays usable),
 * `replayed` (redeemed before), `expired`, else `redeemed` (now used up).
 */
export type NonceRedemption = 'redeemed' | 'unknown' | 'wrong_terminal' | 'replayed' | 'expired';

export interface NonceStore {
  /**
   * Stores a fresh nonce. Throws `NonceStoreError` `COLLISION` when the hash is already stored,
   * `UNAVAILABLE` when the store cannot be reached.
   */
  issue(nonce: NonceIssue): void | Promise<void>;
  /**
   * Uses the nonce up if `presenter` may, atomically: of two concurrent redemptions of one nonce
   * at most one answers `redeemed`. `now` decides expiry (the backend's clock, not the store's).
   * Throws `NonceStoreError` `UNAVAILABLE` when the store cannot be reached.
   */
  redeem(nonceHash: string, presenter: NonceBinding, now: Date): NonceRedemption | Promise<NonceRedemption>;
  /**
   * Deletes nonces that expired before `before`; returns how many. Absent for stores that expire
   * entries themselves (Redis).
   */
  purgeExpired?(before: Date): number;
}

export type NonceStoreFailure = 'UNAVAILABLE' | 'COLLISION';

/** The nonce store failed; the message is safe to show, `cause` (the driver's error) is not. */
export class NonceStoreError extends Error {
  override readonly name = 'NonceStoreError';
  readonly reason: NonceStoreFailure;
  constructor(reason: NonceStoreFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
