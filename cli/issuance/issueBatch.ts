/**
 * The work of `bureau issue-batch`: open the station, optionally queue a batch, then personalize
 * cards one after the other as the operator feeds them, reporting each card on stderr.
 *
 * Exit codes: 0 when `count` cards were personalized and registered; 1 when the batch stopped
 * short (queue empty, no blank card in time, failures in a row, the backend gone); 2 when the
 * station could not start (credentials, HSM, reader, backend).
 */
import { type BatchProgress, type BatchResult, runIssuanceBatch } from '@citycard/terminal-agent';
import { OperatorSlot } from './operatorSlot.js';
import { ProgressOutput, type ProgressStream, outcomeLine } from './progressOutput.js';
import { type Station, type StationCredentials, type StationSetupOptions, openStation } from './stationSetup.js';
import { StationSetupError } from './stationSetupError.js';

export interface IssueBatchOptions extends StationSetupOptions {
  /** Cards to personalize, 1-10,000. */
  readonly count: number;
  /** First queue up to `count` approved cards without a job, as one batch. */
  readonly queue: boolean;
  /** Wait for each finished card to be taken out before the next one. */
  readonly swapCards: boolean;
  /** Longest wait for the operator to take a card out or put one in, seconds (1-3600). */
  readonly cardTimeout: number;
}

export const EXIT_ALL_DONE = 0;
export const EXIT_STOPPED_SHORT = 1;
export const EXIT_CANNOT_START = 2;

const STOP_REASONS: Record<BatchResult['stopped'], string> = {
  'count-reached': 'count reached',
  'queue-empty': 'no job left in the queue',
  'too-many-failures': 'too many failures in a row: check the reader and the HSM',
  'no-blank-card': 'no blank card',
};

/** Runs the batch; resolves with the exit code. Throws only on a fault of the program itself. */
export async function issueBatch(options: IssueBatchOptions, credentials: StationCredentials, stream: ProgressStream): Promise<number> {
  const out = new ProgressOutput(stream);
  let station: Station;
  try {
    station = await openStation(options, credentials);
  } catch (err) {
    if (!(err instanceof StationSetupError)) throw err;
    out.line(err.message);
    return EXIT_CANNOT_START;
  }
  try {
    return await work(station, options, out);
  } catch (err) {
    if (!(err instanceof StationSetupError)) throw err;
    out.line(err.message);
    return EXIT_CANNOT_START;
  } finally {
    out.close();
    await station.close();
  }
}

async function work(station: Station, options: IssueBatchOptions, out: ProgressOutput): Promise<number> {
  let batchId: string | undefined;
  if (options.queue) {
    const batch = await station.api.queueBatch(options.count);
    out.line(`queued ${batch.jobIds.length} cards as batch ${batch.batchId}`);
    // The backend knows a batch by its jobs: an empty one has no progress to read.
    if (batch.jobIds.length > 0) batchId = batch.batchId;
  }
  out.line(`station ${options.station} at reader "${station.reader.name}": ${options.count} card${options.count === 1 ? '' : 's'} to personalize`);
  const slot = new OperatorSlot(station.reader, { swapCards: options.swapCards, timeoutMs: options.cardTimeout * 1000, say: (text) => out.line(text) });
  let progress: BatchProgress = { count: options.count, done: 0, failed: 0, unreported: 0 };
  out.progress(progress);
  let result: BatchResult;
  try {
    result = await runIssuanceBatch({
      queue: station.queue,
      custodian: station.custodian,
      count: options.count,
      nextCard: (p) => slot.next(p),
      blankCard: async () => station.reader,
      onOutcome: (outcome, p) => {
        progress = p;
        out.line(outcomeLine(outcome));
        out.progress(p);
      },
    });
  } catch (err) {
    // A claim the backend refused or never answered: cards already finished were reported.
    out.close();
    out.line(`stopped: ${(err as Error).message}`);
    out.line(summary(progress, 'the backend failed'));
    return EXIT_STOPPED_SHORT;
  }
  out.close();
  if (result.stopped === 'no-blank-card') {
    out.line(`${result.cause instanceof Error ? result.cause.message : String(result.cause)}; stopping (no job is held)`);
  }
  out.line(summary(result, STOP_REASONS[result.stopped]));
  if (batchId !== undefined) {
    const p = await station.api.batchProgress(batchId).catch((err: unknown) => ({ error: (err as Error).message }));
    out.line(`batch ${batchId}: ${JSON.stringify(p)}`);
  }
  return result.done === options.count ? EXIT_ALL_DONE : EXIT_STOPPED_SHORT;
}

function summary(p: BatchProgress, why: string): string {
  return `${p.done} done, ${p.failed} failed, ${p.unreported} unreported of ${p.count}: ${why}`;
}
