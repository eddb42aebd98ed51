/**
 * Performance probes of a running HSM: batch purchase-TAC throughput and single-command latency.
 * They report; they do not judge (targets: 50,000 TACs/s in batches, p99 ≤ 2 ms per command).
 */
import { performance } from 'node:perf_hooks';
import { diversifyKey, fromHex, purchaseTac, tacKey } from '@citycard/protocols';
import type { PurchaseTacCheck, TacVerifier } from '../custodian.js';
import { TEST_MTK } from '../core/testProfile.js';

export interface HsmBenchOptions {
  /** Checks per batch; default 50,000. */
  readonly batchSize?: number;
  /** Batches timed; default 4. */
  readonly batches?: number;
  /** Single calls timed for latency; default 2,000 (after 3,000 warm-up calls). */
  readonly latencySamples?: number;
}

export interface HsmBenchResult {
  readonly batchSize: number;
  readonly batches: number;
  /** Verified TACs per second over all timed batches, end to end through the custodian. */
  readonly tacsPerSecond: number;
  readonly latencySamples: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
}

/**
 * `count` purchase TAC checks under the test profile's MTK (version 1), every `badEvery`-th
 * one with a forged TAC (0: none). Test keys only.
 */
export function testProfileTacChecks(count: number, badEvery = 0): PurchaseTacCheck[] {
  const mtk = fromHex(TEST_MTK);
  const checks: PurchaseTacCheck[] = [];
  for (let i = 0; i < count; i++) {
    const cardNumber = fromHex(`1000${String(i).padStart(12, '0')}`);
    const fields = {
      amount: 100 + (i % 900),
      terminal: fromHex('000000000001'),
      ttsn: i,
      date: fromHex('20261123'),
      time: fromHex('093000'),
    };
    const key = tacKey(diversifyKey(mtk, cardNumber));
    const tac = purchaseTac(key, fields);
    if (badEvery > 0 && i % badEvery === badEvery - 1) tac[0]! ^= 0x01;
    checks.push({ cardNumber, keyVersion: 1, ...fields, tac });
  }
  return checks;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Runs both probes against a custodian with the clearing role on a test-profile HSM. */
export async function measureHsm(custodian: TacVerifier, options: HsmBenchOptions = {}): Promise<HsmBenchResult> {
  const batchSize = options.batchSize ?? 50_000;
  const batches = options.batches ?? 4;
  const samples = options.latencySamples ?? 2000;
  // Latency first, on a quiet heap (the batch's garbage would be charged to whichever single
  // call runs into its collection), after a warm-up that lets both ends' JIT settle.
  const probes = testProfileTacChecks(1000);
  for (let i = 0; i < 3000; i++) await custodian.verifyPurchaseTac(probes[i % probes.length]!);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    await custodian.verifyPurchaseTac(probes[i % probes.length]!);
    times.push(performance.now() - t);
  }

  const checks = testProfileTacChecks(batchSize);
  await custodian.verifyPurchaseTacs(checks.slice(0, 1000));
  const start = performance.now();
  for (let b = 0; b < batches; b++) await custodian.verifyPurchaseTacs(checks);
  const seconds = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  return {
    batchSize,
    batches,
    tacsPerSecond: batches === 0 ? 0 : Math.round((batchSize * batches) / seconds),
    latencySamples: samples,
    latencyP50Ms: percentile(times, 50),
    latencyP99Ms: percentile(times, 99),
    latencyMaxMs: times[times.length - 1] ?? 0,
  };
}
