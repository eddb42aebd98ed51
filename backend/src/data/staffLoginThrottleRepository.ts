/** Failed-login counters (table `staff_login_throttle`), one row per account or address key. */
import type { Db } from './db.js';

export interface ThrottleRecord {
  key: string;
  failures: number;
  windowStartedAt: string;
  lockedUntil: string | null;
}

interface Row {
  throttle_key: string;
  failures: number;
  window_started_at: string;
  locked_until: string | null;
}

export class StaffLoginThrottleRepository {
  constructor(private readonly db: Db) {}

  get(key: string): ThrottleRecord | undefined {
    const r = this.db.prepare('SELECT * FROM staff_login_throttle WHERE throttle_key = ?').get(key) as Row | undefined;
    return r === undefined ? undefined : { key: r.throttle_key, failures: r.failures, windowStartedAt: r.window_started_at, lockedUntil: r.locked_until };
  }

  put(t: ThrottleRecord): void {
    this.db
      .prepare(
        `INSERT INTO staff_login_throttle (throttle_key, failures, window_started_at, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures,
           window_started_at = excluded.window_started_at, locked_until = excluded.locked_until`,
      )
      .run(t.key, t.failures, t.windowStartedAt, t.lockedUntil);
  }

  clear(key: string): void {
    this.db.prepare('DELETE FROM staff_login_throttle WHERE throttle_key = ?').run(key);
  }
}
