/**
 * All SQL of the identity_nonces table. Nonces are stored as SHA-256 hex, never in clear.
 */
import type { Database } from 'better-sqlite3';

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

export class NonceRepository {
  readonly #insert;
  readonly #find;
  readonly #markUsed;
  readonly #purge;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT INTO identity_nonces (nonce_hash, terminal_id, service_point, created_at, expires_at, used_at)
       VALUES (?, ?, ?, ?, ?, NULL)`,
    );
    this.#find = db.prepare<[string], NonceRow>('SELECT * FROM identity_nonces WHERE nonce_hash = ?');
    this.#markUsed = db.prepare('UPDATE identity_nonces SET used_at = ? WHERE nonce_hash = ? AND used_at IS NULL');
    this.#purge = db.prepare('DELETE FROM identity_nonces WHERE expires_at < ?');
  }

  insert(record: Omit<NonceRecord, 'usedAt'>): void {
    this.#insert.run(record.nonceHash, record.terminalId, record.servicePoint, record.createdAt, record.expiresAt);
  }

  find(nonceHash: string): NonceRecord | undefined {
    const row = this.#find.get(nonceHash);
    return row === undefined ? undefined : toRecord(row);
  }

  /**
   * Marks the nonce used unless it already was; true when this call used it. The conditional
   * UPDATE is atomic, so of two concurrent verifications only one wins.
   */
  markUsed(nonceHash: string, usedAt: string): boolean {
    return this.#markUsed.run(usedAt, nonceHash).changes === 1;
  }

  /** Deletes nonces that expired before `before` (ISO-8601); returns how many. */
  purgeExpired(before: string): number {
    return this.#purge.run(before).changes;
  }
}
