/**
 * APDU round trip through the real PC/SC stack: a terminal (pcsclite binding) sends READ BINARY
 * to a virtual card process in vpcd slot 0 through pcscd. Measured twice: with the card on
 * 127.0.0.2 (the quickack route, the latency fix) and on 127.0.0.1 (stock: vpcd's Nagle stall).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromHex } from '@citycard/protocols';
import { PcscAdapter } from '@citycard/terminal-agent';
import { startCardProcess } from '../../demo/cardProcess.js';
import { VPCD_CARD_HOST, VPCD_PORT_CARD, VPCD_READER_NAMES } from '../../stack/constants.js';
import { stackDown, stackUp, stackStatus } from '../../stack/index.js';
import type { BenchRow, BenchSection } from '../report.js';
import { fmtMs, msSince, summarize, type LatencySummary } from '../stats.js';

const SELECT_ID = fromHex('00A4040008F04349545949440100');
const READ_CARD_INFO = fromHex('00B0810020');

export async function benchApduPcsc(): Promise<BenchSection> {
  const stack = await stackUp();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-bench-pcsc-'));
  try {
    const route = (await stackStatus()).route.present;
    const fixed = await measure(dir, VPCD_CARD_HOST, 3000);
    const stock = await measure(dir, '127.0.0.1', 100);
    const rows: BenchRow[] = [
      row('with the fix (card on 127.0.0.2, quickack route)', fixed, 0.5),
      row('stock (card on 127.0.0.1)', stock, undefined),
      { metric: 'quickack route present', value: route ? 'yes' : 'no', target: '' },
    ];
    return {
      title: 'APDU round trip through pcscd + vpcd (issue 2)',
      method:
        'Terminal in this process (pcsclite binding, `PcscAdapter`), virtual card as a separate `citycard card serve` process ' +
        'in vpcd slot 0; READ BINARY SFI 01 (32 bytes back) after a SELECT; 200 warm-up exchanges; ' +
        '3,000 measured exchanges with the fix, 100 stock.',
      rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (stack.started.length > 0) await stackDown({ only: stack.started });
  }
}

async function measure(dir: string, host: string, samples: number): Promise<LatencySummary> {
  const card = await startCardProcess({ stateDir: path.join(dir, 'card'), port: VPCD_PORT_CARD, cardNumber: '1000000000000001', host });
  let adapter: PcscAdapter | undefined;
  try {
    adapter = await PcscAdapter.open(VPCD_READER_NAMES[0]!);
    await adapter.waitForCard(5000);
    await adapter.powerOn();
    await adapter.transmit(SELECT_ID);
    const warmup = Math.min(200, samples);
    for (let i = 0; i < warmup; i++) await adapter.transmit(READ_CARD_INFO);
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const start = process.hrtime.bigint();
      const rsp = await adapter.transmit(READ_CARD_INFO);
      times.push(msSince(start));
      if (rsp.readUInt16BE(rsp.length - 2) !== 0x9000) throw new Error('READ BINARY failed during the benchmark');
    }
    return summarize(times);
  } finally {
    await adapter?.close();
    await card.stop();
  }
}

function row(metric: string, s: LatencySummary, targetMedianMs: number | undefined): BenchRow {
  return {
    metric: `Round trip ${metric}: median / p99 / max`,
    value: `${fmtMs(s.medianMs)} / ${fmtMs(s.p99Ms)} / ${fmtMs(s.maxMs)} ms`,
    target: targetMedianMs === undefined ? 'stock is 44 ms' : `median ≤ ${targetMedianMs} ms`,
    met: targetMedianMs === undefined ? undefined : s.medianMs <= targetMedianMs,
  };
}
