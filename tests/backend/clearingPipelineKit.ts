/**
 * Shared by the clearing pipeline tests and their worker child process: a backend over a
 * file database (so another process can open it) with one terminal, its merchant and upload key;
 * purchase records with TACs valid under the HSM test profile; an idempotent stand-in for
 * clearInboxRows that counts postings; and queue clean-up.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { Database } from 'better-sqlite3';
import { diversifyKey, encodeBcd, fromHex, purchaseTac, tacKey, toHex } from '@citycard/protocols';
import { TEST_MTK } from '@citycard/hsm-sim';
import { createApp, type BackendApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import type { InboxRecord } from '../../backend/src/data/uploadInboxRepository.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';
import { CLEARING_QUEUE } from '../../backend/src/queue/clearingJobs.js';
import { ClearingPipeline } from '../../backend/src/queue/clearingPipeline.js';
import type { ClearRows } from '../../backend/src/queue/clearingWorker.js';
import type { PurchaseRecord } from '../../terminal-agent/src/purse/purseRecords.js';
import { signBatch, uploadKeyProof } from '../../terminal-agent/src/upload/batchSigning.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const FIXED_NOW = new Date('2026-11-23T12:00:00.000Z');
export const TERMINAL = '000000000001';
/** Ed25519 seed 00 01 … 1F (docs/upload.md), as PKCS#8 DER. */
const UPLOAD_KEY = createPrivateKey({ key: fromHex('302E020100300506032B657004220420000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F'), format: 'der', type: 'pkcs8' });
const PASSWORD = 'clearing pipeline test passphrase';
const BODY_LIMIT = 1_048_576;
export const silent = pino({ level: 'silent' });

/** A queue prefix no other test (or run) uses. */
export function uniquePrefix(name: string): string {
  return `cctest-${name}-${process.pid}-${Date.now().toString(36)}`;
}

/**
 * `count` purchases from index `first`: card 2000NNNNNNNNNNNN (one per record), offline counter 0,
 * TTSN = index, amount 100 + index mod 900, balance before 10000, TAC valid under the test MTK.
 */
export function purchases(first: number, count: number): PurchaseRecord[] {
  const mtk = fromHex(TEST_MTK);
  const date = '20261123';
  const time = '093000';
  const out: PurchaseRecord[] = [];
  for (let i = first; i < first + count; i++) {
    const cardNumber = `2000${String(i).padStart(12, '0')}`;
    const amount = 100 + (i % 900);
    const tac = purchaseTac(tacKey(diversifyKey(mtk, encodeBcd(cardNumber))), {
      amount, terminal: fromHex(TERMINAL), ttsn: i, date: encodeBcd(date), time: encodeBcd(time),
    });
    out.push({
      kind: 'purchase', cardNumber, amount, terminal: TERMINAL, date, time, balanceBefore: 10_000, keyVersion: 1, algorithmId: 0,
      trail: [], offlineCounter: 0, ttsn: i, mac2: '00000000', tac: toHex(tac), mac2Verified: true, recovered: false,
    });
  }
  return out;
}

let batchSeq = 0;
const nextBatchId = (): string => `00000000-0000-4000-8000-${(++batchSeq).toString(16).padStart(12, '0')}`;

export interface PipelineBackend {
  readonly dir: string;
  readonly db: Db;
  readonly built: BackendApp;
  readonly server: RunningServer;
  readonly pipeline: ClearingPipeline;
  readonly tokens: Map<Role, string>;
  /** POSTs one signed batch of the terminal's records. */
  upload(records: readonly PurchaseRecord[]): Promise<{ status: number; json: any }>;
  get(path: string, token?: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/** A backend over DIR/backend.sqlite with the given clearing pipeline settings, a fixed clock and one account per role. */
export async function startPipelineBackend(options: { redisUrl: string; prefix: string; jobRows?: number; flushMs?: number }): Promise<PipelineBackend> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-clearing-pipeline-'));
  const db = openDatabase(dir);
  migrate(db);
  const pipeline = new ClearingPipeline({ db, logger: silent, redisUrl: options.redisUrl, prefix: options.prefix, jobRows: options.jobRows ?? 500, flushMs: options.flushMs ?? 5 });
  const built = createApp({ config: loadConfig({}, { dataDir: dir, redisUrl: '', bodyLimitBytes: BODY_LIMIT }), db, clock: () => FIXED_NOW, clearing: pipeline });
  const tokens = new Map<Role, string>();
  for (const role of ROLES) {
    const { staff, oneTimePassword } = await built.context.staff.create({ username: `${role}1`, displayName: role, role }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    tokens.set(role, (await built.context.sessions.login(`${role}1`, PASSWORD, '127.0.0.1')).token);
  }
  const server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: silent });
  const send = async (method: string, p: string, token: string | undefined, body?: unknown): Promise<Response> =>
    fetch(server.url + p, {
      method,
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const admin = tokens.get('admin')!;
  const merchant = (await (await send('POST', '/api/v1/merchants', admin, { name: 'City Transit', category: 'transit' })).json()) as { id: string };
  const terminal = (await (await send('POST', '/api/v1/terminals', admin, { terminalNumber: TERMINAL, merchantId: merchant.id, mode: 'gate', location: 'Gate 1' })).json()) as { credential: string };
  const keyRes = await send('PUT', '/api/v1/terminal/self/upload-key', terminal.credential, uploadKeyProof(TERMINAL, UPLOAD_KEY, new Date(FIXED_NOW.getTime() - 60_000)));
  if (keyRes.status !== 200) throw new Error(`upload key registration answered ${keyRes.status}`);
  return {
    dir, db, built, server, pipeline, tokens,
    upload: async (records) => {
      const res = await send('POST', '/api/v1/terminal/self/batches', terminal.credential, signBatch({ batchId: nextBatchId(), terminal: TERMINAL, createdAt: FIXED_NOW.toISOString(), records }, UPLOAD_KEY));
      return { status: res.status, json: await res.json() };
    },
    get: async (p, token) => {
      const res = await send('GET', p, token);
      return { status: res.status, text: await res.text() };
    },
    close: async () => {
      await pipeline.close();
      await server.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The table the stand-in clearing posts to: one row per posting, so a double posting shows. */
export function createTestPostings(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS test_postings (inbox_id INTEGER NOT NULL, worker TEXT NOT NULL)');
}

/**
 * An idempotent stand-in for clearInboxRows: in one transaction, each row still 'received'
 * becomes 'cleared' and gets one posting; rows already cleared are left alone. `beforeCommit`
 * runs first (where the real one awaits the HSM).
 */
export function fakeClear(db: Database, worker: string, beforeCommit?: (rows: InboxRecord[]) => Promise<void>): ClearRows {
  createTestPostings(db);
  const advance = db.prepare("UPDATE upload_inbox SET status = 'cleared', status_at = ? WHERE id = ? AND status = 'received'");
  const post = db.prepare('INSERT INTO test_postings (inbox_id, worker) VALUES (?, ?)');
  return async (rows) => {
    await beforeCommit?.(rows);
    db.transaction(() => {
      for (const row of rows) {
        if (advance.run(FIXED_NOW.toISOString(), row.id).changes === 1) post.run(row.id, worker);
      }
    }).immediate();
  };
}

export interface PostingCounts {
  readonly inbox: number;
  readonly received: number;
  readonly posted: number;
  /** Rows posted more than once. */
  readonly twice: number;
  /** Rows cleared without a posting, or posted but not cleared. */
  readonly mismatched: number;
}

export function postingCounts(db: Database): PostingCounts {
  createTestPostings(db);
  const one = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
  return {
    inbox: one('SELECT COUNT(*) AS n FROM upload_inbox'),
    received: one("SELECT COUNT(*) AS n FROM upload_inbox WHERE status = 'received'"),
    posted: one('SELECT COUNT(*) AS n FROM test_postings'),
    twice: one('SELECT COUNT(*) AS n FROM (SELECT inbox_id FROM test_postings GROUP BY inbox_id HAVING COUNT(*) > 1)'),
    mismatched: one(
      "SELECT COUNT(*) AS n FROM upload_inbox i WHERE (i.status = 'cleared') <> EXISTS (SELECT 1 FROM test_postings p WHERE p.inbox_id = i.id)",
    ),
  };
}

/** Polls `cond` every 50 ms; throws naming `what` after `timeoutMs` (a hang guard, not a timing check). */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Deletes the prefix's queue and its throughput counters from Redis. */
export async function dropQueue(redisUrl: string, prefix: string): Promise<void> {
  const queue = new Queue(CLEARING_QUEUE, { connection: { url: redisUrl }, prefix });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
