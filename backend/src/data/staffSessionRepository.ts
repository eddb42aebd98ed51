/** Staff sessions (table `staff_sessions`), keyed by the SHA-256 of the token. */
import type { Db } from './db.js';

export interface StaffSessionRecord {
  tokenHash: string;
  staffId: string;
  createdAt: string;
  lastSeenAt: string;
  /** Absolute end of the session. */
  expiresAt: string;
}

interface Row {
  token_hash: string;
  staff_id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export class StaffSessionRepository {
  constructor(private readonly db: Db) {}

  insert(s: StaffSessionRecord): void {
    this.db
      .prepare('INSERT INTO staff_sessions (token_hash, staff_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(s.tokenHash, s.staffId, s.createdAt, s.lastSeenAt, s.expiresAt);
  }

  get(tokenHash: string): StaffSessionRecord | undefined {
    const r = this.db.prepare('SELECT * FROM staff_sessions WHERE token_hash = ?').get(tokenHash) as Row | undefined;
    return r === undefined
      ? undefined
      : { tokenHash: r.token_hash, staffId: r.staff_id, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at };
  }

  touch(tokenHash: string, at: string): void {
    this.db.prepare('UPDATE staff_sessions SET last_seen_at = ? WHERE token_hash = ?').run(at, tokenHash);
  }

  delete(tokenHash: string): void {
    this.db.prepare('DELETE FROM staff_sessions WHERE token_hash = ?').run(tokenHash);
  }

  deleteForStaff(staffId: string): void {
    this.db.prepare('DELETE FROM staff_sessions WHERE staff_id = ?').run(staffId);
  }

  /** Drops sessions whose absolute end is before `at` (ISO strings compare in time order). */
  deleteExpired(at: string): number {
    return this.db.prepare('DELETE FROM staff_sessions WHERE expires_at <= ?').run(at).changes;
  }
}
