/**
 * SQLite adapter of the `NonceStore` port: all SQL of the identity_nonces table, the embedded
 * fallback used when no Redis URL is configured. Nonces are stored as SHA-256 hex, never in
 * clear; a used nonce keeps its row (so a replay is told apart from an unknown nonce) until
 * {@link NonceRepository.purgeExpired} deletes it after expiry.
 */
import type { Database } from 'better-sqlite3';
import type { NonceBinding, NonceIssue, NonceRedemption, NonceStore } from '../domain/identity/nonceStore.js';
import { NonceStoreError } from '../domain/identity/nonceStore.js';

export interface NonceRecord {
  readonly nonceHash: string;
  readonly terminalId: string;
  readonly servicePoint: string;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly usedAt: string | undefined;
}

interface NonceRow {
  nonce_hash: string;
  terminal_id: string;
  service_point: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

const toRecord = (r: NonceRow): NonceRecord => ({
  nonceHash: r.nonce_hash,
  terminalId: r.terminal_id,
  servicePoint: r.service_point,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at ?? undefined,
});

export class NonceRepository implements NonceStore {
  readonly #insert;
  readonly #find;
  readonly #markUsed;
  readonly #purge;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO identity_nonces (nonce_hash, terminal_id, service_point, created_at, expires_at, used_at)
       VALUES (?, ?, ?, ?, ?, NULL)`,
    );
    this.#find = db.prepare<[string], NonceRow>('SELECT * FROM identity_nonces WHERE nonce_hash = ?');
    this.#markUsed = db.prepare('UPDATE identity_nonces SET used_at = ? WHERE nonce_hash = ? AND used_at IS NULL');
    this.#purge = db.prepare('DELETE FROM identity_nonces WHERE expires_at < ?');
  }

  /** Throws `NonceStoreError` `COLLISION` when the hash is already stored. */
  issue(nonce: NonceIssue): void {
    const { changes } = this.#insert.run(nonce.nonceHash, nonce.terminalId, nonce.servicePoint, nonce.issuedAt.toISOString(), nonce.expiresAt.toISOString());
    if (changes !== 1) throw new NonceStoreError('COLLISION', 'a nonce with this hash is already stored');
  }

  /**
   * Checks, then marks used. The conditional UPDATE is atomic, so of two verifications racing
   * (even from two processes on one file) only one redeems.
   */
  redeem(nonceHash: string, presenter: NonceBinding, now: Date): NonceRedemption {
    const record = this.find(nonceHash);
    if (record === undefined) return 'unknown';
    if (record.terminalId !== presenter.terminalId || record.servicePoint !== presenter.servicePoint) return 'wrong_terminal';
    if (record.usedAt !== undefined) return 'replayed';
    if (now.getTime() >= Date.parse(record.expiresAt)) return 'expired';
    return this.#markUsed.run(now.toISOString(), nonceHash).changes === 1 ? 'redeemed' : 'replayed';
  }

  find(nonceHash: string): NonceRecord | undefined {
    const row = this.#find.get(nonceHash);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Deletes nonces that expired before `before`; returns how many. */
  purgeExpired(before: Date): number {
    return this.#purge.run(before.toISOString()).changes;
  }
}
