/**
 * Performance probe of clearing's single writer: `clearInboxRows` with the ledger, on a file
 * database as the backend opens it, over a clean workload (clearingFixture.ts), in jobs of the
 * pipeline's size, each job's rows read from the inbox first as a worker does. It reports; it
 * does not judge (target: 20,000 records/s upload to posted on 2 cores, HSM checks included, of
 * which this part is the single writer).
 *
 * By default the TACs are "checked" by a verifier that accepts them all, so the figures are the
 * writer's own; hand in `tacs` (e.g. a LocalHsm of role clearing) to include the HSM's work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClearingExceptionRepository } from '../../../data/clearingExceptionRepository.js';
import { openDatabase } from '../../../data/db.js';
import { migrate } from '../../../data/migrate.js';
import { UploadInboxRepository } from '../../../data/uploadInboxRepository.js';
import { Ledger } from '../../ledger/index.js';
import { clearInboxRows } from '../clearInboxRows.js';
import type { TacVerifier } from '../ports.js';
import { FIXTURE_NOW, buildClearingFixture } from './clearingFixture.js';

export interface ClearingBenchOptions {
  /** Inbox rows to clear, loads included; default 100,000. */
  readonly rows?: number;
  /** Cards they belong to; default 10,000. */
  readonly cards?: number;
  /** Rows per clearInboxRows call (one pipeline job); default 4,000, the pipeline's default. */
  readonly jobRows?: number;
  /** Purchase terminals; default 40. */
  readonly terminals?: number;
  /** Default: accepts every TAC without looking (the writer alone). */
  readonly tacs?: TacVerifier;
  /**
   * Directory of the database; default a fresh one under the OS temp directory, removed after.
   * ':memory:' measures without the file system.
   */
  readonly dataDir?: string;
  /**
   * Pragmas set after the backend's own (e.g. 'synchronous = NORMAL'), to measure what a setting
   * would change; default none: the database exactly as the backend opens it.
   */
  readonly pragmas?: readonly string[];
  /** Told after each job: rows cleared so far. */
  readonly onProgress?: (cleared: number, total: number) => void;
}

export interface ClearingBenchResult {
  readonly rows: number;
  readonly cards: number;
  readonly jobRows: number;
  readonly jobs: number;
  /** Rows clearing posted (a clean workload posts them all). */
  readonly posted: number;
  /** Exceptions opened (counter gaps of records arriving out of order, resolved by later jobs). */
  readonly exceptions: number;
  /** Exceptions still open at the end (a clean workload leaves none). */
  readonly openAfter: number;
  /** Whether the ledger's conservation check passed afterwards. */
  readonly conservationOk: boolean;
  /** Seconds for every job: reading its rows and clearing them. */
  readonly wallSeconds: number;
  /** CPU seconds (user + system, every thread of the process) over the same span. */
  readonly cpuSeconds: number;
  /** Wall seconds of those spent reading rows from the inbox. */
  readonly readSeconds: number;
  readonly rowsPerWallSecond: number;
  readonly rowsPerCpuSecond: number;
  /** os.loadavg() (1, 5, 15 minutes) before and after the timed span: other work on the machine. */
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

/** Accepts every TAC: the HSM's share left out. */
export const acceptingTacVerifier: TacVerifier = {
  verifyPurchaseTacs: async (checks) => checks.map(() => true),
  verifyLoadTacs: async (checks) => checks.map(() => true),
};

/**
 * Builds the workload (not timed), clears it job by job (timed), then checks the ledger (not timed).
 * @throws RangeError for options out of range; clearing's errors.
 */
export async function measureClearing(options: ClearingBenchOptions = {}): Promise<ClearingBenchResult> {
  const rows = options.rows ?? 100_000;
  const cards = options.cards ?? Math.min(10_000, rows);
  const jobRows = options.jobRows ?? 4000;
  if (!Number.isInteger(jobRows) || jobRows < 1 || jobRows > 50_000) throw new RangeError('jobRows is an integer 1..50,000');
  const ownDir = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'citycard-clearing-bench-')) : undefined;
  const db = openDatabase(ownDir ?? options.dataDir ?? ':memory:');
  try {
    for (const p of options.pragmas ?? []) db.pragma(p);
    const now = (): Date => FIXTURE_NOW;
    migrate(db, undefined, now);
    const fixture = buildClearingFixture(db, { rows, cards, ...(options.terminals === undefined ? {} : { terminals: options.terminals }) });
    const ledger = new Ledger(db, now);
    const deps = {
      db,
      ledger,
      tacs: options.tacs ?? acceptingTacVerifier,
      hotlist: { hotlistClone: async (): Promise<void> => undefined },
      clock: now,
      merchantOf: (terminal: string) => fixture.merchantOf.get(terminal),
    };
    const inbox = new UploadInboxRepository(db);

    let posted = 0;
    let exceptions = 0;
    let jobs = 0;
    let readMs = 0;
    const loadBefore = loadavg();
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let cleared = 0; cleared < rows; ) {
      const t = performance.now();
      const job = inbox.byStatus('received', jobRows);
      readMs += performance.now() - t;
      if (job.length === 0) break;
      const summary = await clearInboxRows(deps, job);
      jobs += 1;
      posted += summary.posted;
      exceptions += Object.values(summary.opened).reduce((a, b) => a + b, 0);
      cleared += job.length;
      options.onProgress?.(cleared, rows);
    }
    const wallSeconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    const loadAfter = loadavg();
    const cpuSeconds = (used.user + used.system) / 1e6;
    return {
      rows,
      cards,
      jobRows,
      jobs,
      posted,
      exceptions,
      openAfter: new ClearingExceptionRepository(db)
        .counts()
        .filter((c) => c.status === 'open')
        .reduce((n, c) => n + c.count, 0),
      conservationOk: ledger.checkConservation().ok,
      wallSeconds,
      cpuSeconds,
      readSeconds: readMs / 1000,
      rowsPerWallSecond: rows / wallSeconds,
      rowsPerCpuSecond: rows / cpuSeconds,
      loadBefore,
      loadAfter,
    };
  } finally {
    db.close();
    if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true });
  }
}
