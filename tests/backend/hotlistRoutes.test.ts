/**
 * Hotlist routes end to end over the real Redis: a terminal fetches signed updates, and a card
 * listed while the terminal holds the SSE stream arrives on it and verifies with the published
 * public key. Also the catch-up frame (since / Last-Event-ID) and shutdown ending the stream.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EMPTY_HOTLIST, type HotlistState, applySignedHotlist, fromHex, verifyHotlistMessage } from '@citycard/protocols';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendApp, createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHANNEL = `citycard:test:hotlist-routes:${randomBytes(6).toString('hex')}`;
const TERMINAL = '200000000001';
const CARD_LOST = '1000000000000001';
const CARD_STOLEN = '1000000000000002';
const CARD_LIVE = '1000000000000003';

let dir: string;
let db: Db;
let built: BackendApp;
let server: RunningServer;
let credential: string;
let publicKey: Uint8Array;

/** A minimal SSE reader: yields each event's id and decoded data. */
function openStream(query: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const events: { id: string; data: Buffer }[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  const response = fetch(`${server.url}/api/v1/hotlist/stream${query}`, {
    headers: { authorization: `Bearer ${credential}`, ...headers },
    signal: controller.signal,
  });
  const done = (async () => {
    const res = await response;
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let cut: number;
        while ((cut = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, cut);
          buffered = buffered.slice(cut + 2);
          const fields = Object.fromEntries(frame.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
          if (fields['event'] === 'hotlist') events.push({ id: fields['id']!, data: Buffer.from(fields['data']!, 'base64') });
          for (const w of waiters.splice(0)) w();
        }
      }
    } catch {
      // aborted by the test
    }
    ended = true;
    for (const w of waiters.splice(0)) w();
  })();
  const untilEvents = async (n: number): Promise<void> => {
    while (events.length < n && !ended) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { response, events, untilEvents, done, ended: () => ended, abort: () => controller.abort() };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-hotlist-routes-'));
  db = openDatabase(dir);
  migrate(db);
  built = createApp({ config: loadConfig({}, { dataDir: dir, redisUrl: REDIS_URL, redisHotlistChannel: CHANNEL }), db });
  const { terminals } = built.context.terminalServices;
  const merchant = terminals.registerMerchant({ name: 'City Transit', category: 'transit' }, 'test');
  credential = terminals.registerTerminal({ terminalNumber: TERMINAL, merchantId: merchant.id, mode: 'gate', location: 'Gate 1' }, 'test').credential;
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 5, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
  const key = (await (await fetch(`${server.url}/api/v1/hotlist/public-key`)).json()) as { alg: string; publicKey: string };
  expect(key.alg).toBe('Ed25519');
  publicKey = fromHex(key.publicKey);
});

afterAll(async () => {
  await built.context.terminalServices.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/hotlist', () => {
  it('answers a signed snapshot to a new terminal and an empty delta to a current one', async () => {
    const res = await fetch(`${server.url}/api/v1/hotlist?since=0`, { headers: { authorization: `Bearer ${credential}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = Buffer.from(await res.arrayBuffer());
    const message = verifyHotlistMessage(bytes, publicKey);
    expect(message.kind).toBe('snapshot');
    expect(message.version).toBe(built.context.hotlist.signedUpdate(0).readUInt32BE(10));
  });

  it('refuses a version that is not 0..2^32-1 and a staff token', async () => {
    for (const since of ['-1', '4294967296', '1e3', 'abc', '']) {
      const res = await fetch(`${server.url}/api/v1/hotlist?since=${since}`, { headers: { authorization: `Bearer ${credential}` } });
      expect(res.status).toBe(400);
    }
    const staff = await fetch(`${server.url}/api/v1/hotlist?since=0`, { headers: { authorization: `Bearer ${'A'.repeat(43)}` } });
    expect(staff.status).toBe(401);
  });
});

describe('GET /api/v1/hotlist/stream', () => {
  it('sends a catch-up frame, then a card reported lost arrives, verifies and is refused', async () => {
    const stream = openStream('?since=0');
    expect((await stream.response).headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.untilEvents(1);
    let state: HotlistState = applySignedHotlist(EMPTY_HOTLIST, stream.events[0]!.data, publicKey);
    const listed = await built.context.hotlist.listCard(CARD_LOST, 'lost');
    await stream.untilEvents(2);
    state = applySignedHotlist(state, stream.events[1]!.data, publicKey);
    expect(stream.events[1]!.id).toBe(String(listed.version));
    expect(state.version).toBe(listed.version);
    expect(state.cards.has(CARD_LOST)).toBe(true);
    expect(state.cards.has(CARD_LIVE)).toBe(false);
    stream.abort();
    await stream.done;
  });

  it('catches a reconnecting terminal up from Last-Event-ID with a delta', async () => {
    const before = built.context.hotlist.signedUpdate(0).readUInt32BE(10);
    await built.context.hotlist.listCard(CARD_STOLEN, 'stolen');
    const stream = openStream('', { 'last-event-id': String(before) });
    await stream.untilEvents(1);
    const delta = verifyHotlistMessage(stream.events[0]!.data, publicKey);
    expect(delta).toMatchObject({ kind: 'delta', baseVersion: before, version: before + 1 });
    stream.abort();
    await stream.done;
  });

  it('refuses a malformed Last-Event-ID before opening the stream', async () => {
    const res = await fetch(`${server.url}/api/v1/hotlist/stream`, { headers: { authorization: `Bearer ${credential}`, 'last-event-id': 'x1' } });
    expect(res.status).toBe(400);
  });

  it('ends open streams on shutdown', async () => {
    const stream = openStream('');
    await stream.response;
    await built.context.terminalServices.close();
    await stream.done;
    expect(stream.ended()).toBe(true);
    expect(built.context.terminalServices.hotlistStreams.openCount).toBe(0);
  });
});
