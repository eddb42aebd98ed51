/**
 * What a clearing job carries: inbox row ids, never the records (the inbox in SQLite is the
 * system of record; Redis only says which rows to look at). Ids travel as inclusive ranges,
 * since the rows one upload batch stores have consecutive ids.
 *
 * ```
 * { "ranges": [[1001, 1500], [1503, 1510]], "scope": "received" }
 * ```
 *
 * `scope` 'received' (the default) clears only rows still waiting; 'all' hands every row in the
 * ranges to clearing again (a re-clear; clearing is idempotent, so cleared rows stay as they are).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The BullMQ queue's name (under the configured key prefix). */
export const CLEARING_QUEUE = 'clearing';
/** The one job name the queue carries. */
export const CLEAR_ROWS_JOB = 'clear-rows';
/**
 * Rows per job unless configured: large enough that clearing's fixed cost per call (one HSM
 * batch, one transaction, chain replays of the touched cards) is spread thin, small enough that a
 * job's transaction holds the SQLite writer well under a second and a retry is cheap.
 */
export const DEFAULT_JOB_ROWS = 4000;
/** Most ranges one job may name. */
export const MAX_JOB_RANGES = 10_000;

/** Inclusive `[first, last]` inbox row ids, 1 ≤ first ≤ last. */
export type IdRange = readonly [number, number];

export type JobScope = 'received' | 'all';

export interface ClearingJobData {
  readonly ranges: readonly IdRange[];
  readonly scope?: JobScope;
}

/** What a worker returns for a job (kept in the completed event). */
export interface ClearingJobResult {
  /** Rows loaded and handed to clearing (0: nothing was left to do). */
  readonly rows: number;
}

const rowId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const jobDataSchema = z.strictObject({
  ranges: z
    .array(z.tuple([rowId, rowId]).refine(([a, b]) => a <= b, 'a range is [first, last] with first ≤ last'))
    .min(1)
    .max(MAX_JOB_RANGES),
  scope: z.enum(['received', 'all']).optional(),
});

/** Job data read back from Redis failed validation: the job can never succeed. */
export class ClearingJobDataError extends Error {
  override readonly name = 'ClearingJobDataError';
}

/**
 * Validates job data as read from Redis.
 * @throws ClearingJobDataError (with the zod error as `cause`) for anything else.
 */
export function parseJobData(data: unknown): ClearingJobData {
  const parsed = jobDataSchema.safeParse(data);
  if (!parsed.success) throw new ClearingJobDataError(`malformed clearing job data: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { cause: parsed.error });
  return parsed.data;
}

/** Ascending, distinct ids as inclusive ranges of consecutive ids: [1,2,3,7] → [[1,3],[7,7]]. */
export function rangesOf(sortedIds: readonly number[]): IdRange[] {
  const ranges: [number, number][] = [];
  for (const id of sortedIds) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && id === last[1] + 1) last[1] = id;
    else ranges.push([id, id]);
  }
  return ranges;
}

/** Ranges merged where they touch or overlap, sorted. */
export function mergeRanges(ranges: readonly IdRange[]): IdRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [first, last] of sorted) {
    const prev = merged[merged.length - 1];
    if (prev !== undefined && first <= prev[1] + 1) prev[1] = Math.max(prev[1], last);
    else merged.push([first, last]);
  }
  return merged;
}

/** How many ids the ranges span. */
export function spanOf(ranges: readonly IdRange[]): number {
  return ranges.reduce((n, [first, last]) => n + last - first + 1, 0);
}

/**
 * A job id fixed by what the job covers, so enqueueing the same work twice while the first is
 * still queued, running or failed adds nothing (BullMQ keeps one job per id):
 * `KIND-FIRST-LAST-COUNT-HASH`, HASH the first 8 hex digits of SHA-256 over the ranges' JSON.
 * BullMQ refuses ':' and integer-like ids; these start with a word.
 */
export function jobIdOf(kind: 'rows' | 'sweep', ranges: readonly IdRange[]): string {
  const first = ranges[0]?.[0] ?? 0;
  const last = ranges[ranges.length - 1]?.[1] ?? 0;
  const hash = createHash('sha256').update(JSON.stringify(ranges)).digest('hex').slice(0, 8);
  return `${kind}-${first}-${last}-${spanOf(ranges)}-${hash}`;
}
