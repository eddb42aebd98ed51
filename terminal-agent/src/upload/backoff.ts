/**
 * Retry delays: exponential, capped, with "equal jitter" (half the step fixed, half random), so
 * a retry never comes hot on the heels of a failure and a fleet of terminals coming back after
 * an outage spreads out instead of arriving together.
 */

export interface BackoffPolicy {
  /** First step, ms, 1 or more. */
  readonly baseMs: number;
  /** Largest delay, ms, at least baseMs. */
  readonly maxMs: number;
}

/** 1 s doubling up to 5 minutes. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/**
 * The delay before retry number `attempt` (0 for the first retry): step = min(maxMs, baseMs·2^attempt),
 * delay = step/2 + random()·step/2, rounded down; so between step/2 and step.
 * @throws RangeError for a negative or non-integer attempt or a policy outside its ranges.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`attempt must be an integer 0 or more, got ${attempt}`);
  if (!(policy.baseMs >= 1 && policy.maxMs >= policy.baseMs)) throw new RangeError('backoff needs baseMs >= 1 and maxMs >= baseMs');
  // 2^attempt overflows to Infinity for large attempts, and min() still caps it.
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(step / 2 + Math.min(Math.max(random(), 0), 1) * (step / 2));
}
