/**
 * The gate and POS runners (terminal-agent/src/agent/) over an in-process reader manager, card-os
 * EP cards and a PSAM over MemoryStores, a real RecordStore file and the offline risk policy:
 * taps in a loop, what each prints, the status line's data, a torn tap recovered at the re-tap,
 * a missing or failing SAM, background tasks, and a stop that lets the tap in flight finish.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '@citycard/card-os';
import type { InProcessCard } from '@citycard/terminal-agent';
import { formatTapResult } from '../../cli/agent/agentFormat.js';
import type { RunnerState, TapReport } from '../../terminal-agent/src/agent/agentEvents.js';
import type { BackgroundTask } from '../../terminal-agent/src/agent/backgroundTasks.js';
import { parseAgentConfig } from '../../terminal-agent/src/agent/agentConfig.js';
import { RECORDS_FILE, openGateAgent } from '../../terminal-agent/src/agent/agentAssembly.js';
import { GateRunner } from '../../terminal-agent/src/agent/gateRunner.js';
import { PosRunner, PosSaleError } from '../../terminal-agent/src/agent/posRunner.js';
import type { RunnerOptions } from '../../terminal-agent/src/agent/terminalRunner.js';
import { InProcessReaderManager } from '../../terminal-agent/src/readers/index.js';
import { createOfflineRiskPolicy } from '../../terminal-agent/src/risk/index.js';
import { RecordStore } from '../../terminal-agent/src/store/index.js';
import { TAP_TIME, TIME_ZONE, epCard, psamCard } from './tapRig.fixture.js';

const CARD_READER = 'card-reader';
const SAM_READER = 'sam-reader';
const TERMINAL = '000000000001';
const FARE = { kind: 'flat', amount: 200 } as const;
const CARD_A = '1000000000000001';
const CARD_B = '1000000000000002';
const INS_DEBIT = 0x54;

/** An in-process card whose answer to the next DEBIT is lost after the card ran it. */
class TornOnDebit implements InProcessCard {
  armed = true;
  constructor(private readonly card: InProcessCard) {}
  powerOn(): Buffer {
    return this.card.powerOn();
  }
  powerOff(): void {
    this.card.powerOff();
  }
  transmit(command: Uint8Array): Buffer {
    const response = this.card.transmit(command);
    if (this.armed && command[1] === INS_DEBIT) {
      this.armed = false;
      throw new Error('the answer to DEBIT was lost');
    }
    return response;
  }
}

/** A background task that records when it was started and stopped. */
function fakeTask(log: string[]): BackgroundTask {
  return {
    name: 'fake',
    start: () => void log.push('start'),
    stop: async () => void log.push('stop'),
  };
}

let dir: string;
let store: RecordStore;
let readers: InProcessReaderManager;
let hotlisted: Set<string>;
let cardSeed = 1;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'citycard-gate-'));
  store = new RecordStore(join(dir, 'records.sqlite'));
  readers = new InProcessReaderManager({ roles: { card: [CARD_READER], sam: [SAM_READER] } });
  hotlisted = new Set();
  await readers.attachReader(CARD_READER);
});

afterEach(async () => {
  await readers.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function card(cardNumber: string, balance: number): InProcessCard {
  return epCard(new MemoryStore(), cardNumber, balance, cardSeed++);
}

function options(extra: Partial<RunnerOptions> = {}): RunnerOptions {
  const hotlist = { has: (c: string) => hotlisted.has(c), lastSyncAt: () => TAP_TIME, version: 7 };
  return {
    readers,
    store,
    risk: createOfflineRiskPolicy({ hotlist, spend: store, capPerCard: 10_000, stalePolicy: { maxOfflineMs: 86_400_000, whenStale: 'refuse' } }),
    hotlist,
    clock: () => TAP_TIME,
    timeZone: TIME_ZONE,
    samRetryMs: 20,
    ...extra,
  };
}

async function attachSam(): Promise<void> {
  await readers.attachReader(SAM_READER, psamCard(new MemoryStore(), TERMINAL));
}

/** The next `event` of the runner. */
function next<E extends 'tap' | 'ready' | 'fault'>(runner: GateRunner | PosRunner, event: E): Promise<E extends 'tap' ? TapReport : E extends 'ready' ? string : Error> {
  return new Promise((resolve) => runner.once(event, resolve as never));
}

function untilState(runner: GateRunner | PosRunner, state: RunnerState): Promise<void> {
  if (runner.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (s: RunnerState): void => {
      if (s !== state) return;
      runner.off('state', on);
      resolve();
    };
    runner.on('state', on);
  });
}

/** Present `c`, wait for the gate's report, take the card away. */
async function tap(gate: GateRunner, c: InProcessCard): Promise<TapReport> {
  const reported = next(gate, 'tap');
  await readers.insertCard(CARD_READER, c);
  const report = await reported;
  readers.removeCard(CARD_READER);
  await untilState(gate, 'waitingForCard');
  return report;
}

describe('GateRunner', () => {
  it('serves taps one after the other and prints each outcome', async () => {
    await attachSam();
    const tasks: string[] = [];
    const gate = new GateRunner({ ...options({ background: [fakeTask(tasks)] }), fare: FARE });
    const ready = next(gate, 'ready');
    gate.start();
    expect(await ready).toBe(TERMINAL);
    expect(tasks).toEqual(['start']);

    const first = await tap(gate, card(CARD_A, 5000));
    expect(first.reader).toBe(CARD_READER);
    expect(first.result).toMatchObject({ kind: 'outcome', outcome: { kind: 'approved', cardNumber: CARD_A, amount: 200, balanceAfter: 4800 }, balance: 4800 });
    expect(formatTapResult(first.result)).toBe('APPROVED ¥2.00 — balance ¥48.00');

    const poor = await tap(gate, card(CARD_B, 120));
    expect(formatTapResult(poor.result)).toBe('INSUFFICIENT FUNDS — balance ¥1.20');

    expect(store.count()).toBe(1);
    expect(gate.status()).toEqual({
      mode: 'gate',
      state: 'waitingForCard',
      terminal: TERMINAL,
      hotlist: { version: 7, lastSyncAt: TAP_TIME },
      uploadBacklog: 1,
      counts: { taps: 2, approved: 1, declined: { INSUFFICIENT_FUNDS: 1 }, tapAgain: 0, suspect: 0, recovered: 0, faults: 0, collected: 200 },
    });
    await gate.stop();
    expect(gate.state).toBe('stopped');
    expect(tasks).toEqual(['start', 'stop']);
  });

  it('blocks a hotlisted card, which then reads as blocked', async () => {
    await attachSam();
    const gate = new GateRunner({ ...options(), fare: FARE });
    gate.start();
    const lost = card(CARD_A, 5000);
    hotlisted.add(CARD_A);
    expect(formatTapResult((await tap(gate, lost)).result)).toBe('HOTLISTED — CARD BLOCKED');
    hotlisted.clear();
    expect(formatTapResult((await tap(gate, lost)).result)).toBe('CARD BLOCKED');
    expect(store.count()).toBe(0);
    await gate.stop();
  });

  it('asks for the card again when the debit answer is lost, then recovers it without a second debit', async () => {
    await attachSam();
    const gate = new GateRunner({ ...options(), fare: FARE });
    gate.start();
    const torn = new TornOnDebit(card(CARD_A, 5000));
    const first = await tap(gate, torn);
    expect(first.result).toMatchObject({ kind: 'outcome', outcome: { kind: 'tapAgain', cardNumber: CARD_A, answerLost: true } });
    expect(formatTapResult(first.result)).toBe('CARD REMOVED TOO EARLY — TAP AGAIN');
    expect(store.pendingIntents(CARD_A)).toHaveLength(1);

    const again = await tap(gate, torn);
    expect(formatTapResult(again.result)).toBe('APPROVED ¥2.00 (EARLIER TAP) — balance ¥48.00');
    expect(store.pendingIntents(CARD_A)).toHaveLength(0);
    expect(store.purchasedSince(CARD_A, new Date(0))).toBe(200);
    expect(gate.status().counts).toMatchObject({ taps: 2, tapAgain: 1, recovered: 1, collected: 200 });
    await gate.stop();
  });

  it('waits for a SAM, and reopens it after a fault', async () => {
    const gate = new GateRunner({ ...options(), fare: FARE });
    gate.start();
    await untilState(gate, 'waitingForSam');
    const ready = next(gate, 'ready');
    await attachSam();
    expect(await ready).toBe(TERMINAL);
    await untilState(gate, 'waitingForCard');

    // The SAM leaves between taps: the next tap fails at the PSAM, nothing is debited.
    const sam = readers.removeCard(SAM_READER)!;
    const reported = next(gate, 'tap');
    await readers.insertCard(CARD_READER, card(CARD_A, 5000));
    const faulted = await reported;
    expect(faulted.result.kind).toBe('fault');
    expect(formatTapResult(faulted.result)).toMatch(/^TERMINAL FAULT — TAP AGAIN \(CardRemovedError: /);
    readers.removeCard(CARD_READER);
    await untilState(gate, 'waitingForSam');

    await readers.insertCard(SAM_READER, sam);
    const served = await tap(gate, card(CARD_B, 5000));
    expect(formatTapResult(served.result)).toBe('APPROVED ¥2.00 — balance ¥48.00');
    expect(gate.status().counts).toMatchObject({ taps: 2, approved: 1, faults: 1 });
    await gate.stop();
  });

  it('finishes the tap in flight when stopped, and leaves the store open', async () => {
    await attachSam();
    const gate = new GateRunner({ ...options(), fare: FARE });
    gate.start();
    await untilState(gate, 'waitingForCard');
    const reports: TapReport[] = [];
    gate.on('tap', (r) => reports.push(r));
    let stopped: Promise<void> | undefined;
    gate.on('state', (s) => {
      if (s === 'processing') stopped = gate.stop();
    });
    await readers.insertCard(CARD_READER, card(CARD_A, 5000));
    await untilState(gate, 'stopped');
    await stopped;
    expect(reports.map((r) => formatTapResult(r.result))).toEqual(['APPROVED ¥2.00 — balance ¥48.00']);
    expect(store.count()).toBe(1);
    expect(() => gate.start()).toThrow(/stopped/);
  });

  it('stops when the reader manager closes', async () => {
    await attachSam();
    const gate = new GateRunner({ ...options(), fare: FARE });
    gate.start();
    await untilState(gate, 'waitingForCard');
    const fault = next(gate, 'fault');
    await readers.close();
    expect((await fault).name).toBe('TransportError');
    await untilState(gate, 'stopped');
  });
});

describe('PosRunner', () => {
  it('charges the amount the merchant entered', async () => {
    await attachSam();
    const pos = new PosRunner({ ...options(), maxAmount: 50_000 });
    pos.start();
    expect(pos.state).toBe('waitingForAmount');
    const sale = pos.sell(1250);
    await untilState(pos, 'waitingForCard');
    await readers.insertCard(CARD_READER, card(CARD_A, 5000));
    const report = await sale;
    expect(formatTapResult(report.result)).toBe('APPROVED ¥12.50 — balance ¥37.50');
    expect(store.purchasedSince(CARD_A, new Date(0))).toBe(1250);

    // The next sale waits for that card to leave, then for a new one.
    const second = pos.sell(100);
    readers.removeCard(CARD_READER);
    await untilState(pos, 'waitingForCard');
    await readers.insertCard(CARD_READER, card(CARD_B, 50));
    expect(formatTapResult((await second).result)).toBe('INSUFFICIENT FUNDS — balance ¥0.50');
    expect(pos.status().counts).toMatchObject({ taps: 2, approved: 1, declined: { INSUFFICIENT_FUNDS: 1 }, collected: 1250 });
    await pos.stop();
  });

  it('refuses an amount out of range, a second sale, and a sale before start', async () => {
    await attachSam();
    const pos = new PosRunner({ ...options(), maxAmount: 10_000 });
    await expect(pos.sell(100)).rejects.toMatchObject({ name: 'PosSaleError', reason: 'STOPPED' });
    pos.start();
    await expect(pos.sell(0)).rejects.toMatchObject({ reason: 'AMOUNT_OUT_OF_RANGE' });
    await expect(pos.sell(10_001)).rejects.toMatchObject({ reason: 'AMOUNT_OUT_OF_RANGE' });
    await expect(pos.sell(12.5)).rejects.toBeInstanceOf(PosSaleError);
    const cancel = new AbortController();
    const waiting = pos.sell(100, cancel.signal);
    await expect(pos.sell(100)).rejects.toMatchObject({ reason: 'BUSY' });
    cancel.abort(new Error('cancelled by the merchant'));
    await expect(waiting).rejects.toThrow('cancelled by the merchant');
    expect(pos.state).toBe('waitingForAmount');
    await pos.stop();
    await expect(pos.sell(100)).rejects.toMatchObject({ reason: 'STOPPED' });
  });

  it('ends a sale waiting for a card when stopped', async () => {
    await attachSam();
    const pos = new PosRunner({ ...options(), maxAmount: 10_000 });
    pos.start();
    const waiting = pos.sell(100);
    await untilState(pos, 'waitingForCard');
    await pos.stop();
    await expect(waiting).rejects.toThrow('the runner is stopping');
    expect(pos.state).toBe('stopped');
  });
});

describe('openGateAgent', () => {
  it('puts a gate together from its config; without a backend it is stale from the start', async () => {
    await attachSam();
    const config = parseAgentConfig(
      { mode: 'gate', dataDir: join(dir, 'agent'), timeZone: TIME_ZONE, gate: { fare: FARE }, risk: { capPerCard: 10_000, staleCapPerCard: 300 } },
      { env: {} },
    );
    const agent = await openGateAgent(config, { readers, clock: () => TAP_TIME });
    const gate = agent.runner;
    gate.start();
    const c = card(CARD_A, 5000);
    expect(formatTapResult((await tap(gate, c)).result)).toBe('APPROVED ¥2.00 — balance ¥48.00');
    // 200 + 200 passes the stale cap of 300.
    expect(formatTapResult((await tap(gate, c)).result)).toBe('TERMINAL OFFLINE TOO LONG — SEE STAFF');
    expect(gate.status()).toMatchObject({ hotlist: { version: 0, lastSyncAt: undefined }, uploadBacklog: 1 });
    await agent.close();
    expect(gate.state).toBe('stopped');
    expect(() => agent.store.count()).toThrow();
    const reopened = new RecordStore(join(dir, 'agent', RECORDS_FILE));
    expect(reopened.purchasedSince(CARD_A, new Date(0))).toBe(200);
    reopened.close();
  });
});
