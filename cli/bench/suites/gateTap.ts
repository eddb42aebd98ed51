/**
 * A transit gate as the agent runs it (issue 5): `openGateAgent` with its record store (SQLite,
 * WAL, synchronous FULL), the offline risk policy over a hotlist that follows the backend, and
 * the uploader sending signed batches to `citycard backend serve` (its own process), all in this
 * process; the citizen card (`card serve`) and the PSAM (`psam serve`) are their own processes
 * behind pcscd + vpcd. The card stays in slot 0: each tap is the card presented again, which the
 * gate's power-on resets, as a new card in the field is.
 *
 * (a) tap to decision, p50/p99 over 1,000 taps after 100 warm-up taps; (b) 10,000 more taps
 * back to back with uploads running, sampling RSS and the heap after a full GC every 1,000 taps.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readEpIssuerDataCommand, selectEpCommand } from '@citycard/protocols';
import { ApduChannel, PcscAdapter, type CardTransport } from '@citycard/terminal-agent';
import { parseAgentConfig } from '../../../terminal-agent/src/agent/agentConfig.js';
import { openGateAgent } from '../../../terminal-agent/src/agent/agentAssembly.js';
import type { TapReport } from '../../../terminal-agent/src/agent/agentEvents.js';
import type { CardSlot, ReaderInfo, ReaderManager, ReaderManagerEvents } from '../../../terminal-agent/src/readers/readerManager.js';
import { ApiSession, startBackendProcess } from '../../demo/backendProcess.js';
import { startCardProcess } from '../../demo/cardProcess.js';
import { VPCD_PORT_CARD, VPCD_PORT_PSAM, VPCD_READER_NAMES } from '../../stack/constants.js';
import { stackDown, stackUp } from '../../stack/index.js';
import type { BenchSection } from '../report.js';
import { fmtMs, msSince, summarize } from '../stats.js';

const WARMUP = 100;
const SAMPLES = 1_000;
const SUSTAINED = 10_000;
const SAMPLE_EVERY = 1_000;
const CARD_NUMBER = '1000000000000001';
const TERMINAL = '900000000101';
/** 1 fen a tap: 11,100 taps fit the card's maximum balance of ¥1,000.00. */
const FARE = 1;
const START_BALANCE = 100_000;
const STAFF_PASSWORD = 'bench-password-0001';
/** Heap growth allowed over the sustained run, bytes per tap (100 B/tap is 1 MB per 10,000 taps). */
const HEAP_SLOPE_LIMIT = 100;

/**
 * The gate's readers for the bench: the card never leaves slot 0, so each `waitForCard` hands
 * the same card out again (the runner's power-on resets it) and reports it gone once served.
 */
class RetapReaders extends EventEmitter<ReaderManagerEvents> implements ReaderManager {
  #allowed = 0;
  #wake: (() => void) | undefined;

  constructor(
    private readonly card: PcscAdapter,
    private readonly sam: PcscAdapter,
  ) {
    super();
  }

  /** Let `n` more taps through. */
  allow(n: number): void {
    this.#allowed += n;
    this.#wake?.();
  }

  readers(): ReaderInfo[] {
    return [];
  }

  samTransport(): CardTransport {
    return this.sam;
  }

  async waitForCard(signal?: AbortSignal): Promise<CardSlot> {
    while (this.#allowed === 0) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#wake = undefined;
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.#wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    this.#allowed -= 1;
    return { reader: this.card.name, role: 'card', atr: Buffer.alloc(0), transport: new ServedOnce(this.card) };
  }

  async close(): Promise<void> {}
}

/** The card's slot for one tap: it talks to the card, and says the card left once asked. */
class ServedOnce implements CardTransport {
  readonly name: string;
  constructor(private readonly card: PcscAdapter) {
    this.name = card.name;
  }
  powerOn(): Promise<Buffer> {
    return this.card.powerOn();
  }
  transmit(command: Uint8Array): Promise<Buffer> {
    return this.card.transmit(command);
  }
  async isPresent(): Promise<boolean> {
    return false;
  }
  async close(): Promise<void> {}
}

interface MemorySample {
  readonly taps: number;
  readonly rss: number;
  readonly heap: number;
  /** Of `heap`, compiled code (grows while the JIT warms up). */
  readonly code: number;
}

export async function benchGateTap(): Promise<BenchSection> {
  const gc = exposeGc();
  const loadStart = os.loadavg()[0]!;
  const stack = await stackUp();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-bench-gate-'));
  // Undone in reverse: the agent, the readers, the card processes, the backend.
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const backend = await startBackendProcess(path.join(dir, 'backend'));
    stops.push(() => backend.stop());
    const { credential, hotlistKey } = await registerGate(backend.url, backend.adminOneTimePassword);
    const card = await startCardProcess({ stateDir: path.join(dir, 'card'), port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER, balance: START_BALANCE });
    stops.push(() => card.stop());
    const psam = await startCardProcess({ kind: 'psam', stateDir: path.join(dir, 'psam'), port: VPCD_PORT_PSAM, cardNumber: TERMINAL });
    stops.push(() => psam.stop());

    const cardSlot = await PcscAdapter.open(VPCD_READER_NAMES[0]!);
    stops.push(() => cardSlot.close());
    const samSlot = await PcscAdapter.open(VPCD_READER_NAMES[1]!);
    stops.push(() => samSlot.close());
    await Promise.all([cardSlot.waitForCard(5000), samSlot.waitForCard(5000)]);
    await checkCardInSlot(cardSlot);
    const readers = new RetapReaders(cardSlot, samSlot);

    const config = parseAgentConfig(
      {
        mode: 'gate',
        dataDir: path.join(dir, 'gate'),
        backend: { url: backend.url, hotlistKeys: [hotlistKey] },
        gate: { fare: { kind: 'flat', amount: FARE } },
        risk: { capPerCard: START_BALANCE, maxOfflineMs: 3_600_000, whenStale: 'refuse' },
        upload: { batchSize: 200, intervalMs: 1_000 },
      },
      { env: { CITYCARD_TERMINAL_TOKEN: credential } },
    );
    let uploaded = 0;
    let uploadTrouble = 0;
    const agent = await openGateAgent(config, {
      readers,
      onUploadEvent: (event) => {
        if (event.type === 'acked') uploaded += event.records;
        else uploadTrouble += 1;
      },
    });
    stops.push(() => agent.close());
    // The policy refuses while the list is stale: the gate syncs before its first tap.
    await agent.hotlist!.syncNow();

    const gate = agent.runner;
    const faults: string[] = [];
    gate.on('fault', (err) => faults.push(`${err.name}: ${err.message}`));
    let taps = 0;
    let notApproved = 0;
    let lastNotApproved = '';
    let onTap: (report: TapReport) => void = () => {};
    gate.on('tap', (report) => {
      taps += 1;
      if (report.result.kind !== 'outcome' || report.result.outcome.kind !== 'approved') {
        notApproved += 1;
        lastNotApproved = report.result.kind === 'fault' ? report.result.error.message : JSON.stringify(report.result.outcome).slice(0, 200);
      }
      onTap(report);
    });
    const runTaps = (n: number, each: (report: TapReport) => void): Promise<void> =>
      new Promise((resolve) => {
        const until = taps + n;
        onTap = (report) => {
          each(report);
          if (taps === until) resolve();
        };
        readers.allow(n);
      });
    const ready = new Promise<string>((resolve) => gate.once('ready', resolve));
    gate.start();
    const terminal = await ready;
    if (terminal !== TERMINAL) throw new Error(`slot 1 holds the PSAM of terminal ${terminal}, not the suite's ${TERMINAL}: another PSAM process is connected to vpcd port ${VPCD_PORT_PSAM}`);

    // (a) latency
    const latencies: number[] = [];
    await runTaps(WARMUP, () => {});
    await runTaps(SAMPLES, (report) => latencies.push(report.elapsedMs));
    const latency = summarize(latencies);

    // (b) sustained, memory sampled after a full GC every SAMPLE_EVERY taps (between taps)
    // Allocated before the first sample, so the bench's own bookkeeping does not grow the heap.
    const sustainedLatencies = new Float64Array(SUSTAINED);
    const memory: MemorySample[] = new Array<MemorySample>(SUSTAINED / SAMPLE_EVERY + 1);
    memory[0] = sampleMemory(gc, 0);
    const uploadedBefore = uploaded;
    const started = process.hrtime.bigint();
    let done = 0;
    await runTaps(SUSTAINED, (report) => {
      sustainedLatencies[done] = report.elapsedMs;
      done += 1;
      if (done % SAMPLE_EVERY === 0) memory[done / SAMPLE_EVERY] = sampleMemory(gc, done);
    });
    const sustainedMs = msSince(started);
    const uploadedDuring = uploaded - uploadedBefore;
    const drained = await waitForBacklog(() => agent.store.uploadBacklog(), 30_000);
    const sustained = summarize(Array.from(sustainedLatencies));
    const perMinute = (SUSTAINED / sustainedMs) * 60_000;
    const records = agent.store.count();
    await agent.close();

    const rss = memoryStats(memory, (m) => m.rss);
    const heap = memoryStats(memory, (m) => m.heap);
    const code = memoryStats(memory, (m) => m.code);
    const lateHeap = memoryStats(memory.slice(Math.floor(memory.length / 2)), (m) => m.heap);
    const trouble = faults.length + notApproved;
    if (trouble > 0) process.stderr.write(`bench: gate-tap: ${notApproved} taps not approved (last: ${lastNotApproved}); faults: ${faults.slice(0, 3).join('; ')}\n`);
    return {
      title: 'Gate tap through the terminal agent, pcscd + vpcd, uploads running (issue 5)',
      method:
        '`openGateAgent` in the bench process: record store (SQLite, WAL, synchronous FULL: the intent before DEBIT and the record after it are each a durable commit), ' +
        'offline risk policy (hotlist followed from the backend, per-card cap from the store), uploader posting signed batches every second to `citycard backend serve` (own process). ' +
        'Card (`card serve`, slot 0) and PSAM (`psam serve`, slot 1) are their own processes, fsyncing every commit. The card stays in its reader: each tap is the card presented again, ' +
        'reset by the gate\'s power-on; the SAM stays selected. A tap (power-on, SELECT EP, EF 15, INITIALIZE, MAC1, DEBIT, verify MAC2, two commits) is timed from the card handed to the gate to its decision. ' +
        `(a) ${SAMPLES.toLocaleString('en-US')} taps after ${WARMUP} warm-up; (b) ${SUSTAINED.toLocaleString('en-US')} more taps back to back, RSS and heap (after a full GC) sampled every ${SAMPLE_EVERY.toLocaleString('en-US')} taps; slopes by least squares.`,
      rows: [
        { metric: 'Tap to decision: p50', value: `${fmtMs(latency.medianMs)} ms`, target: '≤ 15 ms', met: latency.medianMs <= 15 },
        { metric: 'Tap to decision: p99', value: `${fmtMs(latency.p99Ms)} ms`, target: '≤ 50 ms', met: latency.p99Ms <= 50 },
        { metric: 'Slowest tap of (a)', value: `${fmtMs(latency.maxMs)} ms`, target: '' },
        { metric: 'Sustained: taps per minute', value: `${Math.round(perMinute).toLocaleString('en-US')} (${SUSTAINED.toLocaleString('en-US')} taps in ${(sustainedMs / 1000).toFixed(1)} s)`, target: '≥ 60', met: perMinute >= 60 },
        { metric: 'Sustained: tap p50 / p99 / max', value: `${fmtMs(sustained.medianMs)} / ${fmtMs(sustained.p99Ms)} / ${fmtMs(sustained.maxMs)} ms`, target: '' },
        { metric: 'Sustained: records uploaded during the run / backlog after', value: `${uploadedDuring.toLocaleString('en-US')} / ${drained}`, target: 'backlog 0', met: drained === 0 && uploadTrouble === 0 },
        { metric: 'Heap after GC: start / end / max', value: `${mib(heap.start)} / ${mib(heap.end)} / ${mib(heap.max)} MiB`, target: '' },
        { metric: 'Heap after GC: slope', value: `${heap.slope.toFixed(1)} B/tap`, target: `≤ ${HEAP_SLOPE_LIMIT} B/tap (no growth)`, met: heap.slope <= HEAP_SLOPE_LIMIT },
        { metric: 'Heap after GC: slope over the second half', value: `${lateHeap.slope.toFixed(1)} B/tap`, target: '' },
        { metric: 'Of the heap, compiled code: start / end', value: `${mib(code.start)} / ${mib(code.end)} MiB`, target: '' },
        { metric: 'Heap after GC every 1,000 taps', value: `${memory.map((m) => mib(m.heap)).join(', ')} MiB`, target: '' },
        { metric: 'RSS: start / end / max', value: `${mib(rss.start)} / ${mib(rss.end)} / ${mib(rss.max)} MiB`, target: '' },
        { metric: 'RSS: slope', value: `${rss.slope.toFixed(1)} B/tap`, target: '' },
        { metric: 'Taps not approved / faults', value: `${notApproved} / ${faults.length}`, target: '0 / 0', met: trouble === 0 },
        { metric: 'Records stored', value: records.toLocaleString('en-US'), target: '' },
        { metric: 'Load average (1 min) at start / end', value: `${loadStart.toFixed(2)} / ${os.loadavg()[0]!.toFixed(2)} (${os.cpus().length} cores; other work on the host shows here)`, target: '' },
      ],
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (stack.started.length > 0) await stackDown({ only: stack.started });
  }
}

/**
 * vpcd serves whichever card process connected to its port first: make sure it is this suite's.
 * Throws `Error` naming the card found otherwise.
 */
async function checkCardInSlot(slot: PcscAdapter): Promise<void> {
  await slot.powerOn();
  const channel = new ApduChannel(slot);
  await channel.send(selectEpCommand());
  const { cardNumber } = await channel.send(readEpIssuerDataCommand());
  if (cardNumber !== CARD_NUMBER) throw new Error(`slot 0 holds card ${cardNumber}, not the suite's ${CARD_NUMBER}: another card process is connected to vpcd port ${VPCD_PORT_CARD}`);
}

/** A gate registered with the backend: its credential, and the hotlist key to pin. */
async function registerGate(url: string, adminPassword: string): Promise<{ credential: string; hotlistKey: string }> {
  const admin = await ApiSession.staff(url, 'admin', adminPassword, STAFF_PASSWORD);
  const merchant = await admin.request<{ id: string }>('POST', '/api/v1/merchants', { name: 'Bench Metro', category: 'transit' });
  const gate = await admin.request<{ credential: string }>('POST', '/api/v1/terminals', {
    terminalNumber: TERMINAL,
    merchantId: merchant.id,
    mode: 'gate',
    location: 'bench',
  });
  const key = await new ApiSession(url).request<{ publicKey: string }>('GET', '/api/v1/hotlist/public-key');
  return { credential: gate.credential, hotlistKey: key.publicKey };
}

/** `gc()` without starting Node with --expose-gc. */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function sampleMemory(gc: () => void, taps: number): MemorySample {
  gc();
  const usage = process.memoryUsage();
  const code = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'code_space')?.space_used_size ?? 0;
  return { taps, rss: usage.rss, heap: usage.heapUsed, code };
}

function memoryStats(samples: readonly MemorySample[], value: (m: MemorySample) => number) {
  const xs = samples.map((m) => m.taps);
  const ys = samples.map(value);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return { start: ys[0]!, end: ys[n - 1]!, max: Math.max(...ys), slope: sxx === 0 ? 0 : sxy / sxx };
}

async function waitForBacklog(backlog: () => number, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (backlog() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
  return backlog();
}

function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(1);
}
