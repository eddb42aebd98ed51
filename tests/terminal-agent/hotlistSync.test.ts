/**
 * The terminal's hotlist sync against a real backend on an ephemeral port and the real Redis:
 * catch-up from 0, deltas after a loss report and a delist, an instant push over the event
 * stream, a restart with the backend out of reach enforcing the stored list, messages with a bad
 * signature or from a foreign key refused with the list unchanged, and the stream dropped and
 * reopened. A fake backend (node:http) serves the bytes a real one never sends: tampered,
 * foreign-signed, a gap, silence. Both clocks are fixed, so sync times are exact.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type Server, type ServerResponse, createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type HotlistMessage, ed25519PublicKeyToRaw, signHotlistMessage } from '@citycard/protocols';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BackendApp, createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';
import {
  HotlistFetchError,
  HotlistRejectedError,
  HotlistStore,
  HotlistStreamError,
  HotlistSync,
  type HotlistSyncEvent,
  type HotlistSyncOptions,
  SseParser,
} from '../../terminal-agent/src/hotlist/index.js';
import { createOfflineRiskPolicy } from '../../terminal-agent/src/risk/index.js';
import { TEST_PUBLIC_KEY, TEST_PUBLIC_KEY_RAW, TEST_SIGNING_KEY, fixedClock } from '../backend/hotlistTestKit.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHANNEL = `citycard:test:hotlist-sync:${randomBytes(6).toString('hex')}`;
const TERMINAL = '200000000005';

const CARD_LOST = '1000000000000001';
const CARD_STOLEN = '1000000000000002';
const CARD_LIVE = '1000000000000003';
const CARD_DELTA = '1000000000000004';
const CARD_PUSHED = '1000000000000005';
const CARD_AFTER_DROP = '1000000000000006';
const CARD_GAP_1 = '1000000000000007';
const CARD_GAP_2 = '1000000000000008';

/** The backend's clock; the terminal's runs 30 s ahead, so a sync time is the signed issue time. */
const backendClock = fixedClock('2026-11-23T12:00:00.000Z');
const T0 = new Date('2026-11-23T12:00:00.000Z');
const TERMINAL_AHEAD_MS = 30_000;
const terminalNow = () => new Date(backendClock.now().getTime() + TERMINAL_AHEAD_MS);

/** Signs like the backend but is no key a terminal trusts. */
const FOREIGN_KEY = generateKeyPairSync('ed25519');
const FOREIGN_PUBLIC_RAW = ed25519PublicKeyToRaw(FOREIGN_KEY.publicKey);

/** The frame the backend writes for the worked example's delta (id 43); data shortened. */
const BACKEND_FRAME = 'event: hotlist\nid: 43\ndata: Q0NITAEBAAAAKQ==\n\n: keepalive\n\n';

let dir: string;
let db: Db;
let built: BackendApp;
let server: RunningServer;
let credential: string;
let files = 0;
const open: HotlistSync[] = [];

/** Collects a sync's events and waits for one. */
class EventLog {
  readonly events: HotlistSyncEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly record = (event: HotlistSyncEvent): void => {
    this.events.push(event);
    for (const wake of this.#waiters) wake();
  };
  count(type: HotlistSyncEvent['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }
  /** Resolves with the first event (from index `from`) matching `match`. */
  async until(match: (e: HotlistSyncEvent) => boolean, from = 0): Promise<HotlistSyncEvent> {
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
      });
    }
  }
}

function storeFile(): string {
  return path.join(dir, `terminal-${++files}.sqlite`);
}

function openSync(options: Partial<HotlistSyncOptions> & { log?: EventLog } = {}): HotlistSync {
  const { log, ...rest } = options;
  const sync = new HotlistSync({
    baseUrl: server.url,
    credential,
    trustedKeys: [TEST_PUBLIC_KEY_RAW],
    store: storeFile(),
    now: terminalNow,
    pollIntervalMs: 0,
    reconnect: { initialMs: 10, maxMs: 40 },
    ...(log === undefined ? {} : { onEvent: log.record }),
    ...rest,
  });
  open.push(sync);
  return sync;
}

function backendVersion(): number {
  return built.context.hotlist.signedUpdate(0).readUInt32BE(10);
}

/** A server that answers the hotlist routes with whatever the test scripts. */
async function fakeBackend(script: {
  update?: (since: number) => Buffer;
  stream?: (res: ServerResponse, since: number) => void;
}): Promise<{ url: string; close: () => Promise<void>; requests: string[] }> {
  const requests: string[] = [];
  const fake: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(url.pathname + url.search);
    const since = Number(url.searchParams.get('since') ?? '0');
    if (url.pathname === '/api/v1/hotlist' && script.update !== undefined) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(script.update(since));
    } else if (url.pathname === '/api/v1/hotlist/stream' && script.stream !== undefined) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      script.stream(res, since);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no route' } }));
    }
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const { port } = fake.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      fake.closeAllConnections();
      fake.close(() => resolve());
    }),
  };
}

function frame(bytes: Buffer): string {
  return `event: hotlist\nid: ${bytes.readUInt32BE(10)}\ndata: ${bytes.toString('base64')}\n\n`;
}

function delta(baseVersion: number, cards: readonly string[]): HotlistMessage {
  return {
    kind: 'delta',
    baseVersion,
    version: baseVersion + cards.length,
    issuedAt: backendClock.now(),
    entries: cards.map((cardNumber, i) => ({ version: baseVersion + 1 + i, action: 'add', reason: 'lost', cardNumber })),
  };
}

/** A terminal file synced with the real backend, closed again; returns the file and its version. */
async function syncedFile(): Promise<{ file: string; version: number }> {
  const file = storeFile();
  const sync = openSync({ store: file });
  await sync.syncNow();
  const { version } = sync;
  sync.close();
  return { file, version };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-hotlist-sync-'));
  db = openDatabase(dir);
  migrate(db);
  built = createApp({
    config: loadConfig({}, { dataDir: dir, redisUrl: REDIS_URL, redisHotlistChannel: CHANNEL }),
    db,
    clock: backendClock.now,
    hotlistSigningKey: { privateKey: TEST_SIGNING_KEY, publicKey: TEST_PUBLIC_KEY },
  });
  const { terminals } = built.context.terminalServices;
  const merchant = terminals.registerMerchant({ name: 'City Transit', category: 'transit' }, 'test');
  credential = terminals.registerTerminal({ terminalNumber: TERMINAL, merchantId: merchant.id, mode: 'gate', location: 'Gate 5' }, 'test').credential;
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 5, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
  await built.context.hotlist.listCard(CARD_LOST, 'lost');
  await built.context.hotlist.listCard(CARD_STOLEN, 'stolen');
});

afterEach(() => {
  for (const sync of open.splice(0)) sync.close();
});

afterAll(async () => {
  await built.context.terminalServices.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SseParser', () => {
  it('reads the backend frame split at every position, skipping the keepalive', () => {
    for (let cut = 0; cut <= BACKEND_FRAME.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(BACKEND_FRAME.slice(0, cut)), ...parser.push(BACKEND_FRAME.slice(cut))];
      expect(events).toEqual([{ event: 'hotlist', id: '43', data: 'Q0NITAEBAAAAKQ==' }]);
    }
  });

  it('joins data lines, reads CRLF split between chunks and CR alone, and drops events without data', () => {
    const parser = new SseParser();
    expect(parser.push('data: a\r')).toEqual([]);
    expect(parser.push('\ndata:b\r\n\r')).toEqual([{ event: 'message', id: undefined, data: 'a\nb' }]);
    expect(parser.push('\nevent: nothing\n\nid: 7\rdata: c\r\r')).toEqual([{ event: 'message', id: '7', data: 'c' }]);
  });

  it('refuses a line longer than its limit', () => {
    expect(() => new SseParser(8).push('data: 0123')).toThrow(HotlistStreamError);
  });
});

describe('HotlistSync with the backend', () => {
  it('catches up from 0 with a signed snapshot and stores it with the signed issue time', async () => {
    const file = storeFile();
    const sync = openSync({ store: file });
    expect(sync.version).toBe(0);
    expect(sync.lastSyncAt()).toBeUndefined();

    const update = await sync.syncNow();

    expect(update).toEqual({ source: 'fetch', kind: 'snapshot', fromVersion: 0, version: 2, size: 2, lastSyncAt: T0 });
    expect([sync.has(CARD_LOST), sync.has(CARD_STOLEN), sync.has(CARD_LIVE)]).toEqual([true, true, false]);
    sync.close();
    const stored = new HotlistStore(file);
    expect(stored.load()).toEqual({ state: { version: 2, cards: new Set([CARD_LOST, CARD_STOLEN]) }, lastSyncAt: T0 });
    stored.close();
  });

  it('caps the sync time at the terminal clock when the backend runs ahead', async () => {
    const terminalBehind = new Date(T0.getTime() - 60_000);
    const sync = openSync({ now: () => terminalBehind });
    expect((await sync.syncNow()).lastSyncAt).toEqual(terminalBehind);
  });

  it('applies the delta of a loss report, then of a delist, and stores each', async () => {
    const file = storeFile();
    const sync = openSync({ store: file });
    await sync.syncNow();
    const start = sync.version;

    backendClock.advance(60_000);
    await built.context.hotlist.listCard(CARD_DELTA, 'lost');
    const listed = await sync.syncNow();
    expect(listed).toEqual({ source: 'fetch', kind: 'delta', fromVersion: start, version: start + 1, size: 3, lastSyncAt: new Date(T0.getTime() + 60_000) });
    expect(sync.has(CARD_DELTA)).toBe(true);

    backendClock.advance(60_000);
    await built.context.hotlist.delistCard(CARD_DELTA);
    const delisted = await sync.syncNow();
    expect(delisted).toMatchObject({ kind: 'delta', fromVersion: start + 1, version: start + 2, size: 2 });
    expect(sync.has(CARD_DELTA)).toBe(false);

    const current = await sync.syncNow();
    expect(current).toMatchObject({ kind: 'delta', fromVersion: start + 2, version: start + 2 });
    sync.close();
    const stored = new HotlistStore(file).load();
    expect(stored.state.version).toBe(start + 2);
    expect(stored.state.cards.has(CARD_DELTA)).toBe(false);
    expect(stored.lastSyncAt).toEqual(new Date(T0.getTime() + 120_000));
  });

  it('receives a loss report as an instant push on the stream (polling off)', async () => {
    const log = new EventLog();
    const sync = openSync({ log });
    sync.start();
    await log.until((e) => e.type === 'updated');
    expect(sync.streamConnected).toBe(true);
    const before = sync.version;

    await built.context.hotlist.listCard(CARD_PUSHED, 'stolen');
    await sync.waitFor(CARD_PUSHED);

    const updates = log.events.flatMap((e) => (e.type === 'updated' ? [e.update] : []));
    expect(updates.map((u) => [u.source, u.kind, u.fromVersion, u.version])).toEqual([
      ['stream', 'snapshot', 0, before],
      ['stream', 'delta', before, before + 1],
    ]);
  });

  it('after a restart with the backend out of reach, enforces the stored list', async () => {
    const { file, version } = await syncedFile();
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const restarted = openSync({ store: file, baseUrl: deadUrl });
    expect(restarted.version).toBe(version);
    expect(restarted.has(CARD_LOST)).toBe(true);
    const lastSyncAt = restarted.lastSyncAt();
    expect(lastSyncAt).toBeDefined();
    await expect(restarted.syncNow()).rejects.toMatchObject({ name: 'HotlistFetchError', status: 0 });
    expect(restarted.version).toBe(version);

    const HOUR_MS = 3_600_000;
    const risk = createOfflineRiskPolicy({
      hotlist: restarted,
      spend: { purchasedSince: () => 0 },
      capPerCard: 2000,
      stalePolicy: { maxOfflineMs: HOUR_MS, whenStale: 'refuse' },
    });
    const atLimit = new Date(lastSyncAt!.getTime() + HOUR_MS);
    expect(risk.check(CARD_LOST, 100, atLimit)).toEqual({ allow: false, reason: 'CARD_HOTLISTED', blockCard: true });
    expect(risk.check(CARD_LIVE, 100, atLimit)).toEqual({ allow: true });
    expect(risk.check(CARD_LIVE, 100, new Date(atLimit.getTime() + 1))).toEqual({ allow: false, reason: 'HOTLIST_STALE', blockCard: false });
  });

  it('refuses a wrong credential with the backend status', async () => {
    const sync = openSync({ credential: `${TERMINAL}.${'A'.repeat(43)}` });
    const err: unknown = await sync.syncNow().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HotlistFetchError);
    expect((err as HotlistFetchError).status).toBe(401);
  });

  it('refuses the real backend when another key is pinned, and keeps the list', async () => {
    const file = storeFile();
    const sync = openSync({ store: file, trustedKeys: [FOREIGN_PUBLIC_RAW] });
    await expect(sync.syncNow()).rejects.toMatchObject({ name: 'HotlistRejectedError', reason: 'SIGNATURE_INVALID' });
    expect([sync.version, sync.size, sync.lastSyncAt()]).toEqual([0, 0, undefined]);
    sync.close();
    expect(new HotlistStore(file).load()).toEqual({ state: { version: 0, cards: new Set() }, lastSyncAt: undefined });
  });

  it('refuses a tampered signature, a tampered body and a foreign signer, then accepts the genuine message', async () => {
    const { file, version } = await syncedFile();
    const genuine = signHotlistMessage(delta(version, [CARD_LIVE]), TEST_SIGNING_KEY);
    const badSignature = Buffer.from(genuine);
    badSignature[badSignature.length - 1]! ^= 0x01;
    const badBody = Buffer.from(genuine);
    badBody[22 + 9]! ^= 0x01; // last BCD byte of the card number: 1000000000000003 → …02
    const foreign = signHotlistMessage(delta(version, [CARD_LIVE]), FOREIGN_KEY.privateKey);
    let answer: Buffer = badSignature;
    const fake = await fakeBackend({ update: () => answer });
    try {
      const sync = openSync({ store: file, baseUrl: fake.url });
      const before = sync.lastSyncAt();
      for (const bytes of [badSignature, badBody, foreign]) {
        answer = bytes;
        const err: unknown = await sync.syncNow().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HotlistRejectedError);
        expect((err as HotlistRejectedError).reason).toBe('SIGNATURE_INVALID');
        expect([sync.version, sync.has(CARD_LIVE), sync.has(CARD_STOLEN), sync.lastSyncAt()]).toEqual([version, false, true, before]);
      }
      const stored = new HotlistStore(file);
      expect(stored.load().state.version).toBe(version);
      stored.close();

      answer = genuine;
      expect(await sync.syncNow()).toMatchObject({ kind: 'delta', version: version + 1 });
      expect(sync.has(CARD_LIVE)).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('accepts a new key once configured next to the old one (rotation)', async () => {
    const { file, version } = await syncedFile();
    const fromNewKey = signHotlistMessage(delta(version, [CARD_LIVE]), FOREIGN_KEY.privateKey);
    const fake = await fakeBackend({ update: () => fromNewKey });
    try {
      const sync = openSync({ store: file, baseUrl: fake.url });
      await expect(sync.syncNow()).rejects.toBeInstanceOf(HotlistRejectedError);
      sync.setTrustedKeys([TEST_PUBLIC_KEY_RAW, FOREIGN_PUBLIC_RAW]);
      expect(await sync.syncNow()).toMatchObject({ kind: 'delta', version: version + 1 });
      expect(sync.has(CARD_LIVE)).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('drops a stream that sends a foreign frame, keeping the list', async () => {
    const { file, version } = await syncedFile();
    const foreign = signHotlistMessage(delta(version, [CARD_LIVE]), FOREIGN_KEY.privateKey);
    const fake = await fakeBackend({ stream: (res) => res.write(frame(foreign)) });
    try {
      const log = new EventLog();
      const sync = openSync({ store: file, baseUrl: fake.url, log });
      sync.start();
      const closed = await log.until((e) => e.type === 'streamClosed');
      expect(closed).toMatchObject({ type: 'streamClosed', error: { name: 'HotlistRejectedError', reason: 'SIGNATURE_INVALID' } });
      expect([sync.version, sync.has(CARD_LIVE)]).toEqual([version, false]);
    } finally {
      await fake.close();
    }
  });

  it('fetches the missed versions when a push starts past the local version', async () => {
    const { file, version } = await syncedFile();
    const push = signHotlistMessage(delta(version + 1, [CARD_GAP_2]), TEST_SIGNING_KEY);
    const catchUp = signHotlistMessage(delta(version, [CARD_GAP_1, CARD_GAP_2]), TEST_SIGNING_KEY);
    const fake = await fakeBackend({ update: () => catchUp, stream: (res) => res.write(frame(push)) });
    try {
      const log = new EventLog();
      const sync = openSync({ store: file, baseUrl: fake.url, log });
      sync.start();
      await sync.waitForVersion(version + 2);
      expect([sync.has(CARD_GAP_1), sync.has(CARD_GAP_2)]).toEqual([true, true]);
      expect(fake.requests).toContain(`/api/v1/hotlist?since=${version}`);
      expect(log.events.find((e) => e.type === 'updated')).toMatchObject({ update: { source: 'fetch', fromVersion: version, version: version + 2 } });
    } finally {
      await fake.close();
    }
  });

  it('reopens a stream the backend dropped and gets what was listed meanwhile', async () => {
    const log = new EventLog();
    const sync = openSync({ log });
    sync.start();
    await log.until((e) => e.type === 'updated');

    built.context.terminalServices.hotlistStreams.endFor(TERMINAL);
    const closed = await log.until((e) => e.type === 'streamClosed');
    expect(closed).toMatchObject({ error: { name: 'HotlistStreamError' } });
    await built.context.hotlist.listCard(CARD_AFTER_DROP, 'lost');

    await sync.waitFor(CARD_AFTER_DROP);
    expect(log.count('streamOpen')).toBe(2);
    expect(sync.version).toBe(backendVersion());
  });

  it('reopens a stream that went silent', async () => {
    const { file } = await syncedFile();
    const fake = await fakeBackend({ stream: () => undefined });
    try {
      const log = new EventLog();
      const sync = openSync({ store: file, baseUrl: fake.url, log, streamIdleMs: 20 });
      sync.start();
      const closed = await log.until((e) => e.type === 'streamClosed');
      expect(closed).toMatchObject({ error: { name: 'HotlistStreamError', message: expect.stringMatching(/silent/) } });
      await log.until((e) => e.type === 'streamOpen', log.events.indexOf(closed));
      expect(fake.requests.filter((r) => r.startsWith('/api/v1/hotlist/stream')).length).toBeGreaterThanOrEqual(2);
    } finally {
      await fake.close();
    }
  });
});
