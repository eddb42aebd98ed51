/**
 * End to end over the real Redis: a loss report is published, the fan-out delivers it, the
 * terminal's verifier applies it. Also measures (reports, never asserts) report-to-local-set
 * latency.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotlistRepository } from '../../backend/src/data/hotlistRepository.js';
import { Hotlist } from '../../backend/src/domain/hotlist/index.js';
import { HotlistFanout, RedisHotlistPublisher, hotlistSseFrame } from '../../backend/src/realtime/index.js';
import { EMPTY_HOTLIST, type HotlistState, applySignedHotlist } from '@citycard/protocols';
import { TEST_PUBLIC_KEY_RAW, TEST_SIGNING_KEY, hotlistDatabase } from './hotlistTestKit.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHANNEL = `citycard:test:hotlist:${randomBytes(6).toString('hex')}`;

let publisherConnection: Redis;
let subscriberConnection: Redis;
let fanout: HotlistFanout;

beforeAll(async () => {
  publisherConnection = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  subscriberConnection = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await publisherConnection.connect();
  await subscriberConnection.connect();
  fanout = new HotlistFanout(subscriberConnection, CHANNEL);
  await fanout.start();
});

afterAll(async () => {
  await fanout?.stop();
  await subscriberConnection?.quit();
  await publisherConnection?.quit();
});

function newHotlist(): Hotlist {
  return new Hotlist({
    repository: new HotlistRepository(hotlistDatabase()),
    signingKey: TEST_SIGNING_KEY,
    publisher: new RedisHotlistPublisher(publisherConnection, CHANNEL),
  });
}

/** A terminal that applies pushes and resolves waiters when a card appears or leaves. */
function onlineTerminal() {
  let state: HotlistState = EMPTY_HOTLIST;
  const waiters: { test: (s: HotlistState) => boolean; resolve: () => void }[] = [];
  const frames: string[] = [];
  const stop = fanout.listen((bytes) => {
    frames.push(hotlistSseFrame(bytes));
    state = applySignedHotlist(state, bytes, TEST_PUBLIC_KEY_RAW);
    for (const w of waiters.splice(0)) {
      if (w.test(state)) w.resolve();
      else waiters.push(w);
    }
  });
  const until = (test: (s: HotlistState) => boolean) =>
    test(state) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ test, resolve }));
  return { state: () => state, frames, stop, until };
}

describe('hotlist over Redis pub/sub', () => {
  it('delivers each change in order to every listener, as verifiable signed deltas', async () => {
    const hotlist = newHotlist();
    const first = onlineTerminal();
    const second = onlineTerminal();
    await hotlist.listCard('1000000000000001', 'lost');
    await hotlist.listCard('1000000000000002', 'stolen');
    await hotlist.delistCard('1000000000000001');
    await first.until((s) => s.version === 3);
    await second.until((s) => s.version === 3);
    expect(first.state()).toEqual({ version: 3, cards: new Set(['1000000000000002']) });
    expect(second.state()).toEqual(first.state());
    expect(first.frames[0]).toMatch(/^event: hotlist\nid: 1\ndata: [A-Za-z0-9+/=]+\n\n$/);
    first.stop();
    second.stop();
    expect(fanout.listenerCount).toBe(0);
  });

  it('measures loss report to card in an online terminal set (reported, not asserted)', async () => {
    const hotlist = newHotlist();
    const terminal = onlineTerminal();
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const card = `2000000000${String(i).padStart(6, '0')}`;
      const start = process.hrtime.bigint();
      const seen = terminal.until((s) => s.cards.has(card));
      await hotlist.listCard(card, 'lost');
      await seen;
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    terminal.stop();
    samples.sort((a, b) => a - b);
    const pick = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
    console.info(`hotlist report→terminal set over Redis, n=200: p50 ${pick(0.5).toFixed(2)} ms, p99 ${pick(0.99).toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms`);
    expect(terminal.state().cards.size).toBe(200);
  });
});
