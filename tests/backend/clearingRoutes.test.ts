/**
 * The clearing operations routes: the route x role matrix (GET /metrics public, the status for
 * supervisors, auditors and admins), the exact Prometheus text of a snapshot, and both routes
 * over a backend without Redis (the inbox and exceptions from SQLite; no queue series).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import type { ClearingStatus } from '../../backend/src/queue/clearingStatus.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../../backend/src/queue/prometheusText.js';
import { FIXED_NOW, type PipelineBackend, purchases, startPipelineBackend } from './clearingPipelineKit.js';

const METRICS = '/metrics';
const STATUS = '/api/v1/clearing/status';
const READERS: readonly Role[] = ['supervisor', 'auditor', 'admin'];

const MATRIX: { path: string; allowed: readonly Role[] | 'public' }[] = [
  { path: METRICS, allowed: 'public' },
  { path: STATUS, allowed: READERS },
];

const SNAPSHOT: ClearingStatus = {
  redis: 'up',
  queue: { waiting: 3, active: 2, delayed: 1, failed: 0 },
  recordsPerSecond: 2000.5,
  recordsClearedTotal: 120_000,
  inbox: { cleared: 119_990, exception: 10, received: 4000 },
  oldestReceivedAt: '2026-11-23T11:59:58.500Z',
  exceptions: [
    { kind: 'BAD_TAC', status: 'open', count: 2 },
    { kind: 'CLONE', status: 'resolved', count: 1 },
  ],
};

const SNAPSHOT_TEXT = `# HELP citycard_clearing_redis_up Whether the clearing queue’s Redis answered (1) or not (0); absent when Redis is off.
# TYPE citycard_clearing_redis_up gauge
citycard_clearing_redis_up 1
# HELP citycard_clearing_queue_jobs Clearing jobs by state.
# TYPE citycard_clearing_queue_jobs gauge
citycard_clearing_queue_jobs{state="waiting"} 3
citycard_clearing_queue_jobs{state="active"} 2
citycard_clearing_queue_jobs{state="delayed"} 1
citycard_clearing_queue_jobs{state="failed"} 0
# HELP citycard_clearing_records_cleared_total Inbox records clearing has finished with (cleared or exception).
# TYPE citycard_clearing_records_cleared_total counter
citycard_clearing_records_cleared_total 120000
# HELP citycard_clearing_records_per_second Records cleared per second over the last minute, all workers.
# TYPE citycard_clearing_records_per_second gauge
citycard_clearing_records_per_second 2000.5
# HELP citycard_clearing_exceptions Clearing exceptions by kind and review status.
# TYPE citycard_clearing_exceptions gauge
citycard_clearing_exceptions{kind="BAD_TAC",status="open"} 2
citycard_clearing_exceptions{kind="CLONE",status="resolved"} 1
# HELP citycard_inbox_records Upload inbox records by status.
# TYPE citycard_inbox_records gauge
citycard_inbox_records{status="cleared"} 119990
citycard_inbox_records{status="exception"} 10
citycard_inbox_records{status="received"} 4000
# HELP citycard_inbox_oldest_received_age_seconds Age of the oldest record still waiting to be cleared (0 when none).
# TYPE citycard_inbox_oldest_received_age_seconds gauge
citycard_inbox_oldest_received_age_seconds 1.5
`;

let b: PipelineBackend;
let registryRoutes: string[];

beforeAll(async () => {
  b = await startPipelineBackend({ redisUrl: '', prefix: 'unused' });
  registryRoutes = b.built.registry.routes().map((r) => `${r.method.toUpperCase()} ${r.path}`);
  expect((await b.upload(purchases(0, 3))).status).toBe(200);
  const exception = b.db.prepare(
    "INSERT INTO clearing_exceptions (kind, subject, card_number, terminal_number, inbox_id, details, opened_at, updated_at) VALUES (?, ?, NULL, NULL, NULL, '{}', ?, ?)",
  );
  exception.run('BAD_TAC', 'inbox:1', FIXED_NOW.toISOString(), FIXED_NOW.toISOString());
  exception.run('TTSN_GAP', 'terminal:000000000001:7', FIXED_NOW.toISOString(), FIXED_NOW.toISOString());
});

afterAll(async () => {
  await b.close();
});

describe('route x role matrix', () => {
  it('covers every route of the clearing module', () => {
    const mine = registryRoutes.filter((r) => r === `GET ${METRICS}` || r.includes('/api/v1/clearing'));
    expect(mine.sort()).toEqual(MATRIX.map((r) => `GET ${r.path}`).sort());
  });

  for (const route of MATRIX) {
    if (route.allowed !== 'public') {
      it(`GET ${route.path} unauthenticated -> 401`, async () => {
        expect((await b.get(route.path)).status).toBe(401);
      });
    }
    for (const role of ROLES) {
      const allowed = route.allowed === 'public' || route.allowed.includes(role);
      it(`GET ${route.path} as ${role} -> ${allowed ? 200 : 403}`, async () => {
        expect((await b.get(route.path, b.tokens.get(role))).status).toBe(allowed ? 200 : 403);
      });
    }
  }
});

describe('Prometheus text', () => {
  it('renders a snapshot exactly', () => {
    expect(prometheusText(SNAPSHOT, FIXED_NOW)).toBe(SNAPSHOT_TEXT);
  });

  it('leaves out queue and rate series while Redis is down, and escapes label values', () => {
    const text = prometheusText({ ...SNAPSHOT, redis: 'down', queue: null, recordsPerSecond: null, inbox: { 'odd"status\\': 1 } }, FIXED_NOW);
    expect(text).toContain('citycard_clearing_redis_up 0\n');
    expect(text).not.toContain('citycard_clearing_queue_jobs');
    expect(text).not.toContain('citycard_clearing_records_per_second');
    expect(text).toContain('citycard_inbox_records{status="odd\\"status\\\\"} 1\n');
  });
});

describe('over a backend without Redis', () => {
  it('GET /metrics answers the inbox and exceptions from SQLite', async () => {
    const res = await fetch(b.server.url + METRICS);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const text = await res.text();
    expect(text).not.toContain('citycard_clearing_redis_up');
    expect(text).toContain('citycard_clearing_records_cleared_total 0\n');
    expect(text).toContain('citycard_inbox_records{status="received"} 3\n');
    expect(text).toContain('citycard_clearing_exceptions{kind="BAD_TAC",status="open"} 1\ncitycard_clearing_exceptions{kind="TTSN_GAP",status="open"} 1\n');
    expect(text).toContain('citycard_inbox_oldest_received_age_seconds 0\n');
  });

  it('GET /api/v1/clearing/status answers the same snapshot as JSON', async () => {
    const res = await b.get(STATUS, b.tokens.get('auditor'));
    expect(JSON.parse(res.text)).toEqual({
      redis: 'off',
      queue: null,
      recordsPerSecond: null,
      recordsClearedTotal: 0,
      inbox: { received: 3 },
      oldestReceivedAt: FIXED_NOW.toISOString(),
      exceptions: [
        { kind: 'BAD_TAC', status: 'open', count: 1 },
        { kind: 'TTSN_GAP', status: 'open', count: 1 },
      ],
    });
  });
});
