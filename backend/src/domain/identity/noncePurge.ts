/**
 * The periodic purge of expired nonces, for stores that do not expire them themselves (SQLite).
 * The timer is unref'd, so it never keeps the process alive; `stop()` ends it at shutdown,
 * before the database closes.
 */

/** Smallest and largest purge interval. */
export const MIN_NONCE_PURGE_INTERVAL_MS = 1_000;
export const MAX_NONCE_PURGE_INTERVAL_MS = 24 * 3_600_000;

export interface NoncePurgeSchedule {
  /** Idempotent. */
  stop(): void;
}

/**
 * Runs `purge` every `intervalMs`. A purge that throws is handed to `onError` and the schedule
 * goes on. Throws `RangeError` for an interval outside 1 s..24 h.
 */
export function scheduleNoncePurge(
  purge: () => number,
  intervalMs: number,
  hooks: { onPurged?: (count: number) => void; onError: (err: unknown) => void },
): NoncePurgeSchedule {
  if (!Number.isInteger(intervalMs) || intervalMs < MIN_NONCE_PURGE_INTERVAL_MS || intervalMs > MAX_NONCE_PURGE_INTERVAL_MS) {
    throw new RangeError(`the purge interval is ${MIN_NONCE_PURGE_INTERVAL_MS}..${MAX_NONCE_PURGE_INTERVAL_MS} ms`);
  }
  const timer = setInterval(() => {
    try {
      const count = purge();
      if (count > 0) hooks.onPurged?.(count);
    } catch (err) {
      hooks.onError(err);
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
