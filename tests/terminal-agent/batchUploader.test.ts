/**
 * The batch uploader against an in-process backend on an ephemeral port, behind a fault proxy
 * that resets connections, answers 500 or drops the answer after the backend stored the batch.
 * Records come from a real RecordStore. Time is a fake clock: the uploader's sleeps advance it.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { fromHex, toHex } from '@citycard/protocols';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';
import type { PurchaseRecord } from '../../terminal-agent/src/purse/purseRecords.js';
import { RecordStore } from '../../terminal-agent/src/store/recordStore.js';
import {
  BATCH_CONTEXT,
  BatchUploader,
  type BatchUploaderOptions,
  DEFAULT_BACKOFF,
  UPLOAD_KEY_FILE,
  UploadKeyFileError,
  UploadRejectedError,
  type UploadEvent,
  type UploadOutbox,
  backoffDelay,
  canonicalJson,
  loadOrCreateUploadKey,
  registerUploadKey,
  signingDigest,
} from '../../terminal-agent/src/upload/index.js';

const TERMINAL = '000000000001';
const OTHER_TERMINAL = '000000000002';
const DAY_MS = 24 * 3600_000;
const DAY_START = Date.parse('2026-11-23T06:00:00.000Z');

// The §8.2 purchase's APDU trail (tests/terminal-agent/purseFlows.test.ts): eight exchanges, about 2 kB a record.
const EF15 = '0000000000000001 02 01 1000000000000001 20261123 20361122 00 000000';
const TRAIL_8_2: [PurchaseRecord['trail'][number]['slot'], string, string, string][] = [
  ['psam', 'SELECT', '00A4040008 F04349545953414D 00', '6F15 8408F04349545953414D A509 5007434954595341 4D 9000'],
  ['psam', 'READ BINARY EF 16', '00B0960006', '000000000001 9000'],
  ['card', 'SELECT', '00A4040008 F043495459455001 00', `6F2D 8408F043495459455001 A521 9F0C1E ${EF15} 9000`],
  ['card', 'READ BINARY EF 15', '00B095001E', `${EF15} 9000`],
  ['card', 'INITIALIZE FOR PURCHASE', '805001020B 01 000000FA 000000000001 0F', '00002710 0005 000000 01 00 A1B2C3D4 9000'],
  ['psam', 'MAC1 FOR PURCHASE', '807000001C A1B2C3D4 0005 000000FA 06 20261123 093000 01 00 1000000000000001 08', '00000102 AE47C133 9000'],
  ['card', 'DEBIT FOR PURCHASE', '805401000F 00000102 20261123 093000 AE47C133 08', 'A0F363C7 0DEF3FA3 9000'],
  ['psam', 'VERIFY MAC2', '8072000004 0DEF3FA3', '9000'],
];

// docs/upload.md "Batches" example, for the terminal's side of the encoding.
const DOC_UNSIGNED = {
  batchId: '6f1c2a9e-3b4d-4c5e-8f70-0123456789ab',
  terminal: TERMINAL,
  createdAt: '2026-11-23T09:35:00.000Z',
  records: [
    {
      kind: 'purchase', cardNumber: '1000000000000001', amount: 250, terminal: TERMINAL, date: '20261123', time: '093000',
      balanceBefore: 10000, keyVersion: 1, algorithmId: 0,
      trail: [{ seq: 0, slot: 'card', name: 'DEBIT FOR PURCHASE', at: '2026-11-23T09:30:00.000Z', command: '805401000F0000010220261123093000AE47C13308', response: 'A0F363C70DEF3FA39000' }],
      offlineCounter: 5, ttsn: 258, mac2: '0DEF3FA3', tac: 'A0F363C7', mac2Verified: true, recovered: false,
    },
  ],
};
const DOC_DIGEST = 'C8C54BFA6A69B440D9318C6B0D8AA05DC88DE8801346D5F0740EA61BE163A828';

/** Tap number i of the day: card 10000000001xxxxx (500 cards), each card's counters 0.., TTSN i + 1. */
function tap(i: number, terminal = TERMINAL): PurchaseRecord {
  const at = new Date(DAY_START + i * 17_000);
  const iso = at.toISOString();
  return {
    kind: 'purchase',
    cardNumber: String(1_000_000_000_100_000 + (i % 500)),
    amount: 200,
    terminal,
    date: iso.slice(0, 10).replaceAll('-', ''),
    time: iso.slice(11, 19).replaceAll(':', ''),
    balanceBefore: 10_000,
    keyVersion: 1,
    algorithmId: 0,
    trail: TRAIL_8_2.map(([slot, name, command, response], seq) => ({ seq, slot, name, at: iso, command: toHex(fromHex(command)), response: toHex(fromHex(response)) })),
    offlineCounter: Math.floor(i / 500),
    ttsn: i + 1,
    mac2: '0DEF3FA3',
    tac: 'A0F363C7',
    mac2Verified: true,
    recovered: false,
  };
}

type Fault = 'reset' | '500' | 'lost';

/** What the proxy does to each request, in order; 'pass' once the plan runs out. */
let faultPlan: (n: number) => Fault | 'pass' = () => 'pass';
let requests = 0;

let db: Db;
let backend: RunningServer;
let proxy: Server;
let proxyUrl: string;
let credential: string;
let otherCredential: string;
let dir: string;
const keyPair = generateKeyPairSync('ed25519');

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-upload-'));
  db = openDatabase(':memory:');
  migrate(db);
  // Default settings: a 64 KiB body limit, as a fresh backend has.
  const built = createApp({ config: loadConfig({}, { redisUrl: '' }), db });
  const { terminals } = built.context.terminalServices;
  const merchant = terminals.registerMerchant({ name: 'City Transit', category: 'transit' }, 'system');
  credential = terminals.registerTerminal({ terminalNumber: TERMINAL, merchantId: merchant.id, mode: 'gate', location: 'North gate' }, 'system').credential;
  otherCredential = terminals.registerTerminal({ terminalNumber: OTHER_TERMINAL, merchantId: merchant.id, mode: 'gate', location: 'South gate' }, 'system').credential;
  backend = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
  proxy = createServer((req, res) => {
    (async () => {
      const fault = faultPlan(requests++);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (fault === 'reset') return void req.socket.destroy();
      if (fault === '500') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"INTERNAL","message":"internal error"}}');
      const upstream = await fetch(backend.url + req.url, {
        method: req.method,
        headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
        body: Buffer.concat(chunks),
      });
      const text = await upstream.text();
      // The backend stored the batch; its answer never reaches the terminal.
      if (fault === 'lost') return void req.socket.destroy();
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
    })().catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const registered = await registerUploadKey({ backendUrl: backend.url, credential, privateKey: keyPair.privateKey });
  expect(registered).toMatchObject({ terminal: TERMINAL, changed: true });
});

afterEach(() => {
  faultPlan = () => 'pass';
  requests = 0;
  db.exec('DELETE FROM upload_inbox; DELETE FROM upload_batches;');
});

afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fake clock the uploader's sleeps advance, and the sleeps it was asked for. */
function fakeTime(): { now: () => Date; sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  let t = DAY_START + DAY_MS;
  const sleeps: number[] = [];
  return { now: () => new Date(t), sleeps, sleep: async (ms) => void (sleeps.push(ms), (t += ms)) };
}

/** A fresh RecordStore file holding taps 0..n-1. */
function storeWith(n: number, name: string): { store: RecordStore; file: string } {
  const file = path.join(dir, `${name}.sqlite`);
  const store = new RecordStore(file);
  for (let i = 0; i < n; i++) store.put(tap(i), new Date(DAY_START + i * 17_000));
  return { store, file };
}

function uploader(outbox: UploadOutbox, time: ReturnType<typeof fakeTime>, extra: Partial<BatchUploaderOptions> = {}): BatchUploader {
  return new BatchUploader({ outbox, backendUrl: proxyUrl, credential, privateKey: keyPair.privateKey, clock: time.now, sleep: time.sleep, random: () => 0.5, ...extra });
}

const inboxCount = (): number => (db.prepare('SELECT COUNT(*) AS n FROM upload_inbox').get() as { n: number }).n;

describe('BatchUploader', () => {
  it('network down for a day of taps, then up: every record is uploaded once', async () => {
    const { store } = storeWith(5000, 'day');
    // 420 failed attempts (resets, 500s, answers lost after storing) span more than a day of
    // capped backoff; afterwards every 7th answer is still lost.
    const cycle: Fault[] = ['reset', '500', 'lost'];
    faultPlan = (n) => (n < 420 ? cycle[n % 3]! : n % 7 === 0 ? 'lost' : 'pass');
    const time = fakeTime();
    const events: UploadEvent[] = [];
    const report = await uploader(store, time, { onEvent: (e) => events.push(e) }).drain();

    expect(store.uploadBacklog()).toBe(0);
    expect(inboxCount()).toBe(5000);
    expect(db.prepare('SELECT COUNT(DISTINCT card_number || \'/\' || counter) AS n FROM upload_inbox').get()).toEqual({ n: 5000 });
    expect(report).toMatchObject({ records: 5000, accepted: 5000, duplicates: 0, conflicts: 0 });
    expect(report.batches).toBe((db.prepare('SELECT COUNT(*) AS n FROM upload_batches').get() as { n: number }).n);
    // The first batch was re-sent unchanged through the whole outage.
    const acked = events.filter((e) => e.type === 'acked');
    const retries = events.filter((e) => e.type === 'retry');
    expect(new Set(retries.slice(0, 420).map((e) => e.batchId))).toEqual(new Set([acked[0]!.ack.batchId]));
    expect(report.retries).toBe(retries.length);
    // Capped, never hot: each wait between half a step and the 5-minute cap; together over a day.
    expect(time.sleeps.slice(0, 4)).toEqual([750, 1500, 3000, 6000]);
    expect(Math.max(...time.sleeps)).toBe(225_000);
    expect(Math.min(...time.sleeps)).toBe(750);
    expect(time.sleeps.slice(0, 420).reduce((a, b) => a + b, 0)).toBeGreaterThan(DAY_MS);
    // Batches stay under the body limit: each holds what 60,000 bytes carry.
    expect(Math.max(...acked.map((e) => (e.type === 'acked' ? e.records : 0)))).toBeLessThan(200);
    store.close();
    // 5,000 fsynced inserts and some 600 requests: generous under a loaded machine.
  }, 180_000);

  it('a crash after the backend stored a batch but before markUploaded: the re-send is a harmless duplicate', async () => {
    const { store, file } = storeWith(50, 'crash');
    const crashing: UploadOutbox = {
      unuploaded: (limit) => store.unuploaded(limit),
      uploadBacklog: () => store.uploadBacklog(),
      markUploaded: () => {
        throw new Error('power cut');
      },
    };
    const time = fakeTime();
    await expect(uploader(crashing, time, { maxBatchRecords: 20 }).drain()).rejects.toThrow('power cut');
    expect(inboxCount()).toBe(20);
    store.close();

    const reopened = new RecordStore(file);
    expect(reopened.uploadBacklog()).toBe(50);
    const report = await uploader(reopened, time, { maxBatchRecords: 20 }).drain();
    expect(report).toMatchObject({ batches: 3, records: 50, accepted: 30, duplicates: 20, conflicts: 0 });
    expect(reopened.uploadBacklog()).toBe(0);
    expect(inboxCount()).toBe(50);
    reopened.close();
  });

  it('a permanent refusal throws a typed error, keeps the records, and run() parks instead of hot-looping', async () => {
    const { store } = storeWith(5, 'refused');
    const time = fakeTime();
    const unregistered = generateKeyPairSync('ed25519').privateKey;
    const events: UploadEvent[] = [];
    const refused = uploader(store, time, { privateKey: unregistered, onEvent: (e) => events.push(e) });
    const err = await refused.drain().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadRejectedError);
    expect(err).toMatchObject({ status: 422, code: 'BATCH_SIGNATURE_INVALID', batchId: expect.any(String) });
    expect([requests, store.uploadBacklog(), inboxCount()]).toEqual([1, 5, 0]);
    expect(events.map((e) => e.type)).toEqual(['rejected']);

    const stop = new AbortController();
    const parked: number[] = [];
    const looping = uploader(store, time, {
      privateKey: unregistered,
      parkMs: 3_600_000,
      sleep: async (ms) => {
        parked.push(ms);
        if (parked.length === 3) stop.abort();
      },
    });
    await looping.run(stop.signal);
    expect(parked).toEqual([3_600_000, 3_600_000, 3_600_000]);
    expect([requests, store.uploadBacklog()]).toEqual([4, 5]);

    // Another terminal's credential: its key is missing, and the records are not its own either.
    const other = uploader(store, time, { credential: otherCredential });
    await expect(other.drain()).rejects.toMatchObject({ status: 403, code: 'WRONG_TERMINAL' });
    expect(store.uploadBacklog()).toBe(5);
    store.close();
  });

  it('a 413 halves the batch until it fits', async () => {
    const { store } = storeWith(300, 'big');
    const events: UploadEvent[] = [];
    const report = await uploader(store, fakeTime(), { maxBatchRecords: 300, maxBatchBytes: 1_048_576, onEvent: (e) => events.push(e) }).drain();
    expect(events.filter((e) => e.type === 'shrunk').map((e) => (e.type === 'shrunk' ? e.maxBatchRecords : 0))).toEqual([150, 75, 37]);
    expect(report).toMatchObject({ records: 300, accepted: 300 });
    expect(store.uploadBacklog()).toBe(0);
    store.close();
  });

  it('refuses bad options and credentials before any I/O', () => {
    const time = fakeTime();
    const { store } = storeWith(0, 'options');
    expect(() => uploader(store, time, { maxBatchRecords: 501 })).toThrow(RangeError);
    expect(() => uploader(store, time, { maxBatchBytes: 100 })).toThrow(RangeError);
    expect(() => uploader(store, time, { credential: 'not a credential' })).toThrow(/TERMINAL\.SECRET/);
    store.close();
  });
});

describe('backoff', () => {
  it('doubles from baseMs, jitters between half a step and a step, and caps at maxMs', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, DEFAULT_BACKOFF, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, DEFAULT_BACKOFF, () => 0.999_999_9))).toEqual([999, 1999, 3999, 7999]);
    expect(backoffDelay(9, DEFAULT_BACKOFF, () => 0)).toBe(150_000);
    expect(backoffDelay(2000, DEFAULT_BACKOFF, () => 1)).toBe(300_000);
    expect(() => backoffDelay(-1, DEFAULT_BACKOFF)).toThrow(RangeError);
  });
});

describe('signing', () => {
  it('matches the docs/upload.md batch example digest', () => {
    expect(toHex(signingDigest(BATCH_CONTEXT, DOC_UNSIGNED))).toBe(DOC_DIGEST);
    expect(canonicalJson({ z: 1, a: [true, null] })).toBe('{"a":[true,null],"z":1}');
  });
});

describe('upload key', () => {
  it('creates the key file 0600 once and loads the same key after', () => {
    const keyDir = path.join(dir, 'agent-data');
    const first = loadOrCreateUploadKey(keyDir);
    expect(first.created).toBe(true);
    expect(statSync(path.join(keyDir, UPLOAD_KEY_FILE)).mode & 0o777).toBe(0o600);
    const again = loadOrCreateUploadKey(keyDir);
    expect([again.created, again.publicKeyHex]).toEqual([false, first.publicKeyHex]);
    expect(first.publicKeyHex).toMatch(/^[0-9A-F]{64}$/);
  });

  it('refuses a key file others may read, or one that is not Ed25519', () => {
    const loose = mkdtempSync(path.join(dir, 'loose-'));
    loadOrCreateUploadKey(loose);
    chmodSync(path.join(loose, UPLOAD_KEY_FILE), 0o644);
    expect(() => loadOrCreateUploadKey(loose)).toThrow(UploadKeyFileError);
    const wrong = mkdtempSync(path.join(dir, 'wrong-'));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
    writeFileSync(path.join(wrong, UPLOAD_KEY_FILE), ec, { mode: 0o600 });
    expect(() => loadOrCreateUploadKey(wrong)).toThrow(/not an Ed25519 key/);
    writeFileSync(path.join(wrong, UPLOAD_KEY_FILE), 'garbage', { mode: 0o600 });
    expect(() => loadOrCreateUploadKey(wrong)).toThrow(UploadKeyFileError);
  });

  it('registerUploadKey: the same key again changes nothing; a proof from a wrong clock is refused', async () => {
    const again = await registerUploadKey({ backendUrl: backend.url, credential, privateKey: keyPair.privateKey });
    expect(again).toMatchObject({ terminal: TERMINAL, changed: false, publicKey: expect.stringMatching(/^[0-9A-F]{64}$/) });
    const fresh = createPrivateKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const stale = registerUploadKey({ backendUrl: backend.url, credential, privateKey: fresh, now: new Date(Date.now() - 3600_000) });
    await expect(stale).rejects.toMatchObject({ name: 'UploadRejectedError', status: 422, code: 'UPLOAD_KEY_PROOF_STALE' });
  });
});
