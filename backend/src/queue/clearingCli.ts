/**
 * `citycard backend clearing-worker` (a worker as its own process) and `citycard backend
 * clearing reclear|status`. Settings: flags, then CITYCARD_BACKEND_* and CITYCARD_CLEARING_*
 * variables (see clearingSettings.ts); the HSM token only from CITYCARD_HSM_TOKEN.
 */
import { Command } from 'commander';
import pino, { type Logger } from 'pino';
import { createApp } from '../app.js';
import { type BackendConfig, ConfigError, loadConfig } from '../config.js';
import { type Db, openDatabase } from '../data/db.js';
import { MigrationError, migrate } from '../data/migrate.js';
import { ClearingQueueUnavailableError } from './clearingQueue.js';
import { ClearingSetupError, checkClearingSetup, clearingPipelineOf, startClearing } from './clearingRuntime.js';
import { type ClearingSettingsInput, loadClearingSettings } from './clearingSettings.js';
import { ReclearPeriodError, reclearPeriod } from './reclear.js';
import { ReclearProgress } from './reclearProgress.js';

const DATA_DIR_HELP = 'data directory (default .citycard/backend, env CITYCARD_BACKEND_DATA_DIR)';

/** Prints an expected failure as one line with a failing exit code; rethrows anything else. */
async function report(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof MigrationError || err instanceof ReclearPeriodError || err instanceof ClearingQueueUnavailableError || err instanceof ClearingSetupError)) throw err;
    console.error(`citycard backend: ${err.message}`);
    process.exitCode = 1;
  }
}

function openMigrated(config: BackendConfig): Db {
  const db = openDatabase(config.dataDir);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

const untilSignal = (): Promise<void> =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

interface WorkerFlags {
  dataDir?: string;
  hsmSocket?: string;
  concurrency?: string;
  jobRows?: string;
  logLevel?: string;
}

async function runWorker(o: WorkerFlags): Promise<void> {
  const config = loadConfig(process.env, { dataDir: o.dataDir, logLevel: o.logLevel as BackendConfig['logLevel'] | undefined });
  const settings = loadClearingSettings(process.env, { hsmSocket: o.hsmSocket, concurrency: o.concurrency, jobRows: o.jobRows } as Partial<ClearingSettingsInput>);
  checkClearingSetup(config.redisUrl, settings, process.env);
  const logger: Logger = pino({ name: 'citycard-clearing', level: config.logLevel }, pino.destination(2));
  const db = openMigrated(config);
  // The app's services (ledger, hotlist with its signing key, terminals) without listening.
  const clearing = clearingPipelineOf({ db, logger, redisUrl: config.redisUrl, settings });
  const { context } = createApp({ config, db, logger, clearing });
  try {
    const running = await startClearing(context, settings, process.env);
    console.log(`clearing-worker: running (queue prefix ${settings.queuePrefix}, concurrency ${settings.concurrency}, ${settings.jobRows} rows per job, data ${config.dataDir})`);
    await untilSignal();
    await running.close();
  } finally {
    await clearing.close();
    await context.terminalServices.close();
    db.close();
  }
  console.log('clearing-worker: stopped');
}

async function runReclear(o: { dataDir?: string; from: string; to: string; wait: boolean }): Promise<void> {
  const config = loadConfig(process.env, { dataDir: o.dataDir });
  const settings = loadClearingSettings(process.env);
  if (config.redisUrl === '') throw new ConfigError('re-clearing needs Redis: set CITYCARD_BACKEND_REDIS_URL');
  const db = openMigrated(config);
  const pipeline = clearingPipelineOf({ db, logger: pino({ level: 'silent' }), redisUrl: config.redisUrl, settings });
  const progress = new ReclearProgress(process.stderr);
  try {
    const counts = await reclearPeriod({
      db,
      queue: pipeline.queue!,
      redisUrl: config.redisUrl,
      from: o.from,
      to: o.to,
      jobRows: settings.jobRows,
      wait: o.wait,
      onProgress: (c) => {
        if (c.rows > 0) progress.show(c);
      },
    });
    progress.close();
    if (counts.jobs === 0) console.log('reclear: no inbox rows were received in that period');
    else if (!o.wait) console.log(`reclear: ${counts.rows} rows enqueued in ${counts.jobs} jobs; clearing workers take them from here`);
    else console.log(`reclear: ${counts.rowsDone} of ${counts.rows} rows re-cleared in ${counts.jobsDone} jobs${counts.jobsFailed > 0 ? `; ${counts.jobsFailed} jobs failed (see the worker log; the sweeper retries them)` : ''}`);
    if (counts.jobsFailed > 0) process.exitCode = 1;
  } finally {
    progress.close();
    await pipeline.close();
    db.close();
  }
}

async function printStatus(o: { dataDir?: string }): Promise<void> {
  const config = loadConfig(process.env, { dataDir: o.dataDir });
  const settings = loadClearingSettings(process.env);
  const db = openMigrated(config);
  const pipeline = clearingPipelineOf({ db, logger: pino({ level: 'silent' }), redisUrl: config.redisUrl, settings });
  try {
    console.log(JSON.stringify(await pipeline.status(), null, 2));
  } finally {
    await pipeline.close();
    db.close();
  }
}

/** Adds `clearing-worker` and `clearing …` to the `backend` command. */
export function addClearingCommands(backend: Command): void {
  backend
    .command('clearing-worker')
    .description('run a clearing worker: queued inbox rows → TAC checks in the HSM → ledger; with the inbox sweeper (HSM token: CITYCARD_HSM_TOKEN)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--hsm-socket <path>', 'unix socket of the HSM (env CITYCARD_HSM_SOCKET)')
    .option('--concurrency <n>', 'jobs at once (default 2, env CITYCARD_CLEARING_CONCURRENCY)')
    .option('--job-rows <n>', 'rows per sweeper job (default 4000, env CITYCARD_CLEARING_JOB_ROWS)')
    .option('--log-level <level>', 'pino level (default info, env CITYCARD_BACKEND_LOG_LEVEL)')
    .action((o: WorkerFlags) => report(() => runWorker(o)));

  const clearing = new Command('clearing').description('the clearing pipeline: re-clear a period, show its status');
  clearing
    .command('reclear')
    .description('put every inbox row received in [--from, --to) back on the clearing queue, with a progress bar (clearing is idempotent)')
    .requiredOption('--from <iso>', 'start, ISO-8601 (inclusive)')
    .requiredOption('--to <iso>', 'end, ISO-8601 (exclusive)')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .option('--no-wait', 'return once the jobs are enqueued')
    .action((o: { from: string; to: string; dataDir?: string; wait: boolean }) => report(() => runReclear(o)));
  clearing
    .command('status')
    .description('print the clearing status (queue depth, records per second, inbox backlog, exceptions) as JSON')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action((o: { dataDir?: string }) => report(() => printStatus(o)));
  backend.addCommand(clearing);
}
