/**
 * A clearing status snapshot in the Prometheus text exposition format (version 0.0.4):
 *
 * ```
 * citycard_clearing_redis_up 1
 * citycard_clearing_queue_jobs{state="waiting"} 3
 * citycard_clearing_records_cleared_total 120000
 * citycard_clearing_records_per_second 2000
 * citycard_clearing_exceptions{kind="BAD_TAC",status="open"} 2
 * citycard_inbox_records{status="received"} 4000
 * citycard_inbox_oldest_received_age_seconds 1.5
 * ```
 *
 * Queue and rate series are left out while Redis is down (absent, not zero: nothing is known).
 */
import type { ClearingStatus } from './clearingStatus.js';

/** The media type Prometheus expects for this text. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// Label values come from our own enums, but escape anyway: the format breaks on a stray quote.
const label = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function metric(lines: string[], name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 0}`);
}

/** The exposition text, ending in a newline. `now` dates the oldest row's age. */
export function prometheusText(status: ClearingStatus, now: Date): string {
  const lines: string[] = [];
  if (status.redis !== 'off') {
    metric(lines, 'citycard_clearing_redis_up', 'gauge', 'Whether the clearing queue’s Redis answered (1) or not (0); absent when Redis is off.', [['', status.redis === 'up' ? 1 : 0]]);
  }
  if (status.queue !== null) {
    const q = status.queue;
    metric(lines, 'citycard_clearing_queue_jobs', 'gauge', 'Clearing jobs by state.', [
      ['{state="waiting"}', q.waiting],
      ['{state="active"}', q.active],
      ['{state="delayed"}', q.delayed],
      ['{state="failed"}', q.failed],
    ]);
  }
  metric(lines, 'citycard_clearing_records_cleared_total', 'counter', 'Inbox records clearing has finished with (cleared or exception).', [['', status.recordsClearedTotal]]);
  if (status.recordsPerSecond !== null) {
    metric(lines, 'citycard_clearing_records_per_second', 'gauge', 'Records cleared per second over the last minute, all workers.', [['', status.recordsPerSecond]]);
  }
  metric(lines, 'citycard_clearing_exceptions', 'gauge', 'Clearing exceptions by kind and review status.',
    status.exceptions.map((e) => [`{kind="${label(e.kind)}",status="${label(e.status)}"}`, e.count]));
  metric(lines, 'citycard_inbox_records', 'gauge', 'Upload inbox records by status.',
    Object.entries(status.inbox).map(([s, n]) => [`{status="${label(s)}"}`, n]));
  const age = status.oldestReceivedAt === null ? 0 : Math.max(0, (now.getTime() - Date.parse(status.oldestReceivedAt)) / 1000);
  metric(lines, 'citycard_inbox_oldest_received_age_seconds', 'gauge', 'Age of the oldest record still waiting to be cleared (0 when none).', [['', age]]);
  return `${lines.join('\n')}\n`;
}
