/**
 * A clearing worker as its own process, for the kill test: `DIR REDIS_URL PREFIX HOLD_JOB`.
 * Clears jobs one at a time with the kit's stand-in clearing; on its HOLD_JOB-th job it prints
 * `HOLD <first id>` and waits forever before committing (where the real clearing awaits the HSM),
 * so the parent can SIGKILL it mid-job. Prints `READY` once started and `DONE <n>` per commit.
 */
import { openDatabase } from '../../backend/src/data/db.js';
import { startClearingWorker } from '../../backend/src/queue/clearingWorker.js';
import { FIXED_NOW, fakeClear, silent } from './clearingPipelineKit.js';

const [dir, redisUrl, prefix, holdArg] = process.argv.slice(2);
if (dir === undefined || redisUrl === undefined || prefix === undefined || holdArg === undefined) throw new Error('usage: DIR REDIS_URL PREFIX HOLD_JOB');
const hold = Number(holdArg);
const db = openDatabase(dir);
let jobs = 0;
const clear = fakeClear(db, `child-${process.pid}`, async (rows) => {
  jobs += 1;
  if (jobs === hold) {
    process.stdout.write(`HOLD ${rows[0]?.id}\n`);
    await new Promise<never>(() => undefined);
  }
});
startClearingWorker({
  redisUrl,
  prefix,
  db,
  clear: async (rows) => {
    await clear(rows);
    process.stdout.write(`DONE ${jobs}\n`);
  },
  logger: silent,
  clock: () => FIXED_NOW,
  concurrency: 1,
  lockMs: 1000,
  // Only the producer's jobs, in order: the parent's worker does the recovery.
  sweep: false,
});
process.stdout.write('READY\n');
