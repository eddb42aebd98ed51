/**
 * An offline purchase through the real PC/SC stack, as a transit gate does it: citizen card
 * process in vpcd slot 0, PSAM process in slot 1, the terminal (this process) running the whole
 * purchase flow (SELECTs, EF 15, INITIALIZE, MAC1, DEBIT, verify MAC2) and storing the record in
 * its SQLite store (WAL, synchronous FULL) before the purchase counts as done.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApduChannel, PcscAdapter, RecordStore, openPsamSlot, purchaseOffline } from '@citycard/terminal-agent';
import { startCardProcess } from '../../demo/cardProcess.js';
import { VPCD_PORT_CARD, VPCD_PORT_PSAM, VPCD_READER_NAMES } from '../../stack/constants.js';
import { stackDown, stackUp } from '../../stack/index.js';
import type { BenchSection } from '../report.js';
import { fmtMs, msSince, summarize } from '../stats.js';

const WARMUP = 100;
const SAMPLES = 1000;

export async function benchPurchasePcsc(): Promise<BenchSection> {
  const stack = await stackUp();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-bench-purchase-'));
  const card = await startCardProcess({ stateDir: path.join(dir, 'card'), port: VPCD_PORT_CARD, cardNumber: '1000000000000001', balance: 100_000 });
  const psam = await startCardProcess({ kind: 'psam', stateDir: path.join(dir, 'psam'), port: VPCD_PORT_PSAM, cardNumber: '000000000001' });
  const store = new RecordStore(path.join(dir, 'records.sqlite'));
  const slots: PcscAdapter[] = [];
  try {
    const cardSlot = await PcscAdapter.open(VPCD_READER_NAMES[0]!);
    slots.push(cardSlot);
    const psamSlot = await PcscAdapter.open(VPCD_READER_NAMES[1]!);
    slots.push(psamSlot);
    await Promise.all([cardSlot.waitForCard(5000), psamSlot.waitForCard(5000)]);
    await Promise.all([cardSlot.powerOn(), psamSlot.powerOn()]);
    const psamChannel = new ApduChannel(psamSlot);
    // A gate keeps its PSAM selected: open the SAM slot once, as a terminal does at start.
    const ctx = { card: new ApduChannel(cardSlot), psam: psamChannel, psamTerminal: await openPsamSlot(psamChannel) };
    const times: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const start = process.hrtime.bigint();
      const outcome = await purchaseOffline(ctx, { amount: 1 });
      if (outcome.kind !== 'approved') throw new Error(`purchase ${i} not approved: ${outcome.kind}`);
      store.put(outcome.record);
      if (i >= WARMUP) times.push(msSince(start));
    }
    const s = summarize(times);
    return {
      title: 'Offline purchase through pcscd + vpcd (issue 3)',
      method:
        `Card (\`card serve\`) in slot 0 and PSAM (\`psam serve\`) in slot 1 as separate processes, both fsyncing every commit; ` +
        `the terminal opens its SAM slot once (SELECT PSAM, EF 16), then runs each purchase (6 APDUs: SELECT EP, EF 15, INITIALIZE, MAC1, DEBIT, verify MAC2) ` +
        `and stores the record in SQLite (WAL, synchronous FULL). ${SAMPLES.toLocaleString('en-US')} purchases after ${WARMUP} warm-up.`,
      rows: [
        { metric: 'Purchase, record stored: p50', value: `${fmtMs(s.medianMs)} ms`, target: '≤ 10 ms', met: s.medianMs <= 10 },
        { metric: 'Purchase, record stored: p99', value: `${fmtMs(s.p99Ms)} ms`, target: '≤ 30 ms', met: s.p99Ms <= 30 },
        { metric: 'Slowest purchase', value: `${fmtMs(s.maxMs)} ms`, target: '' },
        { metric: 'Records stored', value: String(store.count()), target: '' },
      ],
    };
  } finally {
    await Promise.allSettled(slots.map((a) => a.close()));
    store.close();
    await Promise.allSettled([card.stop(), psam.stop()]);
    rmSync(dir, { recursive: true, force: true });
    if (stack.started.length > 0) await stackDown({ only: stack.started });
  }
}
