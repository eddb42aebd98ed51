/** Latency statistics for benchmarks: nearest-rank percentiles over measured samples. */

export interface LatencySummary {
  readonly samples: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Nearest-rank percentile (0 < p <= 100) of unsorted samples. Throws `RangeError` on no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  return {
    samples: samplesMs.length,
    medianMs: percentile(samplesMs, 50),
    p99Ms: percentile(samplesMs, 99),
    maxMs: percentile(samplesMs, 100),
  };
}

/** Milliseconds since an `process.hrtime.bigint()` reading. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function fmtMs(ms: number): string {
  return ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}
