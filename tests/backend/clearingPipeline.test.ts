/**
 * The clearing pipeline against real Redis (each test on its own queue prefix, removed after):
 * uploads reach clearing through the queue; uploads are accepted while Redis is down and the
 * sweeper clears them once it is back (also after a restart that lost every job); a worker
 * SIGKILLed mid-job loses nothing and clears nothing twice; enqueueing the same rows again, by
 * the same job id or another, is harmless. Clearing here is the kit's idempotent stand-in, which
 * posts once per row to a table of its own, so a double posting would show.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { clearInboxRows } from '../../backend/src/domain/clearing/index.js';
import { Ledger } from '../../backend/src/domain/ledger/index.js';
import { jobIdOf } from '../../backend/src/queue/clearingJobs.js';
import { clearingDepsOf } from '../../backend/src/queue/clearingRuntime.js';
import { type ClearingWorker, startClearingWorker } from '../../backend/src/queue/clearingWorker.js';
import { InboxQueries } from '../../backend/src/queue/inboxQueries.js';
import { InboxSweeper } from '../../backend/src/queue/inboxSweeper.js';
import { reclearPeriod } from '../../backend/src/queue/reclear.js';
import {
  FIXED_NOW,
  type PipelineBackend,
  REDIS_URL,
  dropQueue,
  fakeClear,
  postingCounts,
  purchases,
  silent,
  startPipelineBackend,
  uniquePrefix,
  waitFor,
} from './clearingPipelineKit.js';
import { makeTestHsm } from '../hsm-sim/fixtures.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'clearingWorkerChild.fixture.ts');
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BATCH = 500;

/** Everything a test started, stopped in reverse order after it. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function backend(redisUrl: string, prefix: string): Promise<PipelineBackend> {
  const b = await startPipelineBackend({ redisUrl, prefix, jobRows: BATCH });
  cleanups.push(() => b.close());
  return b;
}

function worker(b: PipelineBackend, redisUrl: string, prefix: string, options: { name?: string; sweep?: boolean } = {}): ClearingWorker {
  const w = startClearingWorker({
    redisUrl, prefix, db: b.db, clear: fakeClear(b.db, options.name ?? 'parent'), logger: silent, clock: () => FIXED_NOW,
    concurrency: 2, jobRows: 2000, lockMs: 1000, sweep: options.sweep ?? true, ...(b.pipeline.queue === undefined ? {} : { queue: b.pipeline.queue }),
  });
  cleanups.push(() => w.close());
  return w;
}

async function uploadBatches(b: PipelineBackend, batches: number, first = 0): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const res = await b.upload(purchases(first + i * BATCH, BATCH));
    expect([res.status, res.json.accepted]).toEqual([200, BATCH]);
  }
}

const allCleared = (b: PipelineBackend, rows: number) => () => {
  const c = postingCounts(b.db);
  return c.inbox === rows && c.received === 0;
};

/** A loopback port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A private redis-server without persistence: stopping it loses every job, like a restart. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  await waitFor('redis-server to answer', async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    }
  });
  probe.disconnect();
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('uploads to cleared', () => {
  it('every uploaded row is cleared once through the queue, in jobs of the producer', async () => {
    const prefix = uniquePrefix('happy');
    cleanups.push(() => dropQueue(REDIS_URL, prefix));
    const b = await backend(REDIS_URL, prefix);
    worker(b, REDIS_URL, prefix);
    await uploadBatches(b, 4);
    await waitFor('all rows cleared', allCleared(b, 4 * BATCH));
    await waitFor('the queue to drain', async () => Object.values(await b.pipeline.queue!.depth()).every((n) => n === 0));
    expect(postingCounts(b.db)).toEqual({ inbox: 2000, received: 0, posted: 2000, twice: 0, mismatched: 0 });
    const status = await b.pipeline.status();
    expect(status).toMatchObject({ redis: 'up', queue: { waiting: 0, active: 0, delayed: 0, failed: 0 }, recordsClearedTotal: 2000, inbox: { cleared: 2000 }, oldestReceivedAt: null });
  });

  it('the producer gathers small batches into one job', async () => {
    const prefix = uniquePrefix('gather');
    cleanups.push(() => dropQueue(REDIS_URL, prefix));
    const b = await startPipelineBackend({ redisUrl: REDIS_URL, prefix, jobRows: BATCH, flushMs: 60_000 });
    cleanups.push(() => b.close());
    for (let i = 0; i < 5; i++) expect((await b.upload(purchases(i * 10, 10))).status).toBe(200);
    await b.pipeline.flush();
    expect(await b.pipeline.queue!.depth()).toEqual({ waiting: 1, active: 0, delayed: 0, failed: 0 });
    const [job] = await (await b.pipeline.queue!.queue()).getWaiting();
    expect(job?.data).toEqual({ ranges: [[1, 50]] });
    expect(job?.id).toBe(jobIdOf('rows', [[1, 50]]));
  });
});

describe('Redis down', () => {
  it('accepts uploads while Redis is down and clears them once it answers', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const prefix = uniquePrefix('down');
    const b = await backend(url, prefix);
    await uploadBatches(b, 2);
    await b.pipeline.flush();
    expect(postingCounts(b.db).received).toBe(2 * BATCH); // stored, acknowledged, waiting
    expect(await b.pipeline.status()).toMatchObject({ redis: 'down', queue: null, recordsPerSecond: null, inbox: { received: 1000 } });
    worker(b, url, prefix); // cannot connect yet

    let redis = await startRedis(port);
    cleanups.push(() => stopRedis(redis));
    await waitFor('the sweeper to clear the backlog', allCleared(b, 2 * BATCH));
    expect(postingCounts(b.db)).toMatchObject({ posted: 1000, twice: 0, mismatched: 0 });

    // Down again with the worker running: its reconnection sweep enqueues what arrived meanwhile.
    await stopRedis(redis);
    await uploadBatches(b, 2, 2 * BATCH);
    expect(postingCounts(b.db).received).toBe(1000);
    redis = await startRedis(port);
    await waitFor('the rows stored during the outage to clear', allCleared(b, 4 * BATCH));
    expect(postingCounts(b.db)).toEqual({ inbox: 2000, received: 0, posted: 2000, twice: 0, mismatched: 0 });
  });

  it('a Redis restart that loses queued jobs loses no rows', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const prefix = uniquePrefix('restart');
    let redis = await startRedis(port);
    cleanups.push(() => stopRedis(redis));
    const b = await backend(url, prefix);
    await uploadBatches(b, 2);
    await b.pipeline.flush();
    expect(await b.pipeline.queue!.depth()).toMatchObject({ waiting: 2 }); // no worker yet

    await stopRedis(redis); // without persistence: both jobs are gone
    redis = await startRedis(port);
    await waitFor('the producer to reconnect', () => b.pipeline.queue!.ready);
    expect(await b.pipeline.queue!.depth()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    worker(b, url, prefix); // its start sweep finds the rows still 'received'
    await waitFor('the rows whose jobs were lost to clear', allCleared(b, 2 * BATCH));
    expect(postingCounts(b.db)).toEqual({ inbox: 1000, received: 0, posted: 1000, twice: 0, mismatched: 0 });
  });
});

describe('a worker killed mid-job', () => {
  it('loses nothing and clears nothing twice: the job runs again once its lock runs out', async () => {
    const prefix = uniquePrefix('kill');
    cleanups.push(() => dropQueue(REDIS_URL, prefix));
    const b = await backend(REDIS_URL, prefix);
    await uploadBatches(b, 3);
    await b.pipeline.flush();
    expect(await b.pipeline.queue!.depth()).toMatchObject({ waiting: 3 });

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, b.dir, REDIS_URL, prefix, '2'], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the child to hold its second job', () => out.includes('HOLD'));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(out).toMatch(/READY\nDONE 1\nHOLD 501\n$/);
    expect(postingCounts(b.db)).toMatchObject({ received: 1000, posted: 500 }); // the held job committed nothing
    expect(await b.pipeline.queue!.depth()).toMatchObject({ active: 1, waiting: 1 }); // still locked by the dead worker

    // No sweeper: the held job must come back through BullMQ's stalled check alone.
    const restarted = worker(b, REDIS_URL, prefix, { name: 'restarted', sweep: false });
    await waitFor('every row cleared', allCleared(b, 3 * BATCH));
    await waitFor('both jobs reported', () => restarted.completedJobs() === 2);
    expect(postingCounts(b.db)).toEqual({ inbox: 1500, received: 0, posted: 1500, twice: 0, mismatched: 0 });
    const byWorker = b.db.prepare('SELECT worker, COUNT(*) AS n FROM test_postings GROUP BY worker ORDER BY n').all() as { worker: string; n: number }[];
    expect(byWorker.map((r) => r.n)).toEqual([500, 1000]);
  });
});

describe('duplicate enqueue', () => {
  it('the same job id twice holds one job; overlapping jobs and a re-clear post nothing twice', async () => {
    const prefix = uniquePrefix('dup');
    cleanups.push(() => dropQueue(REDIS_URL, prefix));
    const b = await backend(REDIS_URL, prefix);
    await uploadBatches(b, 2);
    await b.pipeline.flush();
    const queue = b.pipeline.queue!;
    const again = { ranges: [[1, 500]] as [number, number][] };
    expect(await queue.add(again, jobIdOf('rows', again.ranges))).toBe('exists');

    const sweeper = new InboxSweeper({ queue, inbox: new InboxQueries(b.db), clock: () => FIXED_NOW, logger: silent, jobRows: 2000 });
    expect(await sweeper.sweep(0)).toEqual({ rows: 1000, jobs: 1, added: 1, existing: 0, retried: 0 });
    expect(await sweeper.sweep(0)).toEqual({ rows: 1000, jobs: 1, added: 0, existing: 1, retried: 0 });
    expect(await sweeper.sweep()).toEqual({ rows: 0, jobs: 0, added: 0, existing: 0, retried: 0 }); // younger than the grace period
    expect(await queue.depth()).toMatchObject({ waiting: 3 }); // two producer jobs and one sweeper job over the same rows

    worker(b, REDIS_URL, prefix);
    await waitFor('all rows cleared', allCleared(b, 1000));
    await waitFor('the queue to drain', async () => Object.values(await queue.depth()).every((n) => n === 0));
    expect(postingCounts(b.db)).toEqual({ inbox: 1000, received: 0, posted: 1000, twice: 0, mismatched: 0 });

    const progress: number[] = [];
    const counts = await reclearPeriod({
      db: b.db, queue, redisUrl: REDIS_URL, from: '2026-11-23T00:00:00Z', to: '2026-11-24T00:00:00Z', jobRows: 300,
      onProgress: (c) => progress.push(c.rowsDone),
    });
    expect(counts).toEqual({ rows: 1000, rowsDone: 1000, jobs: 4, jobsDone: 4, jobsFailed: 0 });
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(1000);
    expect(postingCounts(b.db)).toEqual({ inbox: 1000, received: 0, posted: 1000, twice: 0, mismatched: 0 });
  });
});

describe('with clearInboxRows and a test-profile HSM (role clearing)', () => {
  it('posts every genuine purchase once, opens BAD_TAC for a forged one, and a re-clear changes nothing', async () => {
    const hsm = makeTestHsm();
    cleanups.push(async () => hsm.dispose());
    const prefix = uniquePrefix('real');
    cleanups.push(() => dropQueue(REDIS_URL, prefix));
    const b = await backend(REDIS_URL, prefix);
    const deps = clearingDepsOf(b.built.context, hsm.as('clearing'));
    const w = startClearingWorker({
      redisUrl: REDIS_URL, prefix, db: b.db, clear: (rows) => clearInboxRows(deps, rows), logger: silent, clock: () => FIXED_NOW,
      queue: b.pipeline.queue!,
    });
    cleanups.push(() => w.close());

    const records = purchases(0, 2 * BATCH);
    const FORGED = 7;
    records[FORGED] = { ...records[FORGED]!, tac: records[FORGED]!.tac === '00000000' ? '00000001' : '00000000' };
    expect((await b.upload(records.slice(0, BATCH))).status).toBe(200);
    expect((await b.upload(records.slice(BATCH))).status).toBe(200);
    await waitFor('every row decided', () => postingCounts(b.db).received === 0);

    const entries = () => b.db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT ref) AS refs FROM ledger_entries WHERE kind = 'purchase'").get();
    expect(entries()).toEqual({ n: 999, refs: 999 });
    const status = await b.pipeline.status();
    expect(status).toMatchObject({ redis: 'up', recordsClearedTotal: 1000, inbox: { cleared: 999, exception: 1 } });
    expect(status.exceptions).toContainEqual({ kind: 'BAD_TAC', status: 'open', count: 1 });
    expect(new Ledger(b.db).checkConservation().ok).toBe(true);

    const counts = await reclearPeriod({ db: b.db, queue: b.pipeline.queue!, redisUrl: REDIS_URL, from: '2026-11-23T00:00:00.000Z', to: '2026-11-24T00:00:00.000Z' });
    expect(counts).toMatchObject({ rows: 1000, rowsDone: 1000, jobsFailed: 0 });
    expect(entries()).toEqual({ n: 999, refs: 999 });
    expect(new Ledger(b.db).checkConservation().ok).toBe(true);
  });
});
