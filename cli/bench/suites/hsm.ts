/**
 * The key custodian under load: a test-profile HSM as its own process on a unix socket, a
 * `clearing` client in this process. Single purchase-TAC checks (latency) and batches of 50,000
 * (throughput), each check including the per-card DTK diversification.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HsmClient, measureHsm } from '@citycard/hsm-sim';
import { startHsmProcess } from '../../demo/hsmProcess.js';
import type { BenchSection } from '../report.js';
import { fmtMs } from '../stats.js';

export async function benchHsm(): Promise<BenchSection> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-bench-hsm-'));
  const hsm = await startHsmProcess(dir, [{ name: 'bench-clearing', role: 'clearing' }]);
  try {
    const client = await HsmClient.connect({ address: { path: hsm.socketPath }, token: hsm.tokens[0]! });
    try {
      const r = await measureHsm(client, { batchSize: 50_000, batches: 4, latencySamples: 3000 });
      return {
        title: 'HSM purchase-TAC verification (issue 3)',
        method:
          '`citycard hsm serve` (test profile) as its own process on a unix socket; an authenticated `clearing` client. ' +
          `Latency: ${r.latencySamples.toLocaleString('en-US')} single checks after 3,000 warm-up calls. ` +
          `Throughput: ${r.batches} batches of ${r.batchSize.toLocaleString('en-US')} checks; every check diversifies the card's DTK.`,
        rows: [
          {
            metric: 'TAC checks per second, batched',
            value: r.tacsPerSecond.toLocaleString('en-US'),
            target: '≥ 50,000',
            met: r.tacsPerSecond >= 50_000,
          },
          {
            metric: 'Single check latency: p50 / p99 / max',
            value: `${fmtMs(r.latencyP50Ms)} / ${fmtMs(r.latencyP99Ms)} / ${fmtMs(r.latencyMaxMs)} ms`,
            target: 'p99 ≤ 2 ms',
            met: r.latencyP99Ms <= 2,
          },
        ],
      };
    } finally {
      await client.close();
    }
  } finally {
    await hsm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
