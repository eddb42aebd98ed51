/**
 * Sends the terminal's stored purse records to the backend's inbox in signed batches
 * (docs/upload.md), and marks them uploaded only once the backend acknowledged them:
 *
 * - a batch holds up to `maxBatchRecords` records and `maxBatchBytes` bytes, oldest first;
 * - a failure a retry can fix (no answer, 408, 429, 5xx) re-sends the SAME batch (same id, same
 *   content) after an exponential, capped, jittered delay, until it is acknowledged; the backend
 *   answers a repeated batch with its first ack, so a lost answer costs nothing;
 * - a permanent refusal (4xx) drops the batch (the backend stored nothing) and throws
 *   UploadRejectedError; `run` then waits `parkMs` before building a fresh batch, so a refused
 *   batch never hot-loops. A 413 first halves the batch size and tries again;
 * - records are never deleted: after a crash between the backend's ack and `markUploaded`, the
 *   same records go up again in a new batch and the backend counts them as duplicates.
 */
import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { type BackoffPolicy, DEFAULT_BACKOFF, backoffDelay } from './backoff.js';
import { type SignedUploadBatch, signBatch } from './batchSigning.js';
import { type BatchAck, UploadClient } from './uploadClient.js';
import { UploadRejectedError, UploadUnavailableError } from './uploadErrors.js';
import type { UploadOutbox } from './uploadOutbox.js';
import { credentialTerminal } from './terminalCredential.js';

/** The backend's own limit on records per batch. */
export const MAX_BATCH_RECORDS = 500;

export interface BatchUploaderOptions {
  readonly outbox: UploadOutbox;
  /** e.g. `http://127.0.0.1:8080`. */
  readonly backendUrl: string;
  /** `TERMINAL.SECRET`; its terminal number is the batches' terminal. */
  readonly credential: string;
  /** The terminal's Ed25519 upload key (see loadOrCreateUploadKey); its public half must be registered. */
  readonly privateKey: KeyObject;
  /** Records per batch, 1 to 500; default 200. */
  readonly maxBatchRecords?: number;
  /** Bytes of a batch body, 1,024 to 1,048,576; default 60,000 (under the backend's default 64 KiB body limit). */
  readonly maxBatchBytes?: number;
  readonly backoff?: BackoffPolicy;
  /** After a permanent refusal, how long `run` waits before trying again, ms; default 1 hour. */
  readonly parkMs?: number;
  /** How long `run` waits between drains once the outbox is empty, ms; default 30 s. */
  readonly idleMs?: number;
  /** Per request, ms; default 30 s. */
  readonly timeoutMs?: number;
  /** Stamps each batch's createdAt; default the system clock. */
  readonly clock?: () => Date;
  /** Waits between attempts; rejects with the signal's reason when it aborts. Default a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** [0, 1), for jitter; default Math.random. */
  readonly random?: () => number;
  readonly newBatchId?: () => string;
  readonly fetch?: typeof fetch;
  /** Told of every ack, retry, shrink and refusal (for logs and the status page). */
  readonly onEvent?: (event: UploadEvent) => void;
}

export type UploadEvent =
  | { readonly type: 'acked'; readonly ack: BatchAck; readonly records: number }
  | { readonly type: 'retry'; readonly batchId: string; readonly attempt: number; readonly delayMs: number; readonly error: UploadUnavailableError }
  | { readonly type: 'shrunk'; readonly batchId: string; readonly maxBatchRecords: number }
  | { readonly type: 'rejected'; readonly batchId: string; readonly error: UploadRejectedError };

export interface DrainReport {
  /** Batches acknowledged. */
  batches: number;
  /** Records in them. */
  records: number;
  accepted: number;
  duplicates: number;
  conflicts: number;
  /** Attempts that failed and were retried. */
  retries: number;
}

interface PendingBatch {
  readonly batch: SignedUploadBatch;
  readonly ids: readonly number[];
  attempts: number;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, signal === undefined ? {} : { signal });

export class BatchUploader {
  readonly terminal: string;
  readonly #options: BatchUploaderOptions;
  readonly #client: UploadClient;
  readonly #maxBytes: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #maxRecords: number;
  /** The batch in flight: kept until acknowledged or refused, so a retry re-sends it unchanged. */
  #pending: PendingBatch | undefined;

  /** @throws RangeError for a malformed credential or an option outside its range. */
  constructor(options: BatchUploaderOptions) {
    this.terminal = credentialTerminal(options.credential);
    this.#maxRecords = inRange('maxBatchRecords', options.maxBatchRecords ?? 200, 1, MAX_BATCH_RECORDS);
    this.#maxBytes = inRange('maxBatchBytes', options.maxBatchBytes ?? 60_000, 1024, 1_048_576);
    this.#options = options;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#client = new UploadClient({
      backendUrl: options.backendUrl,
      credential: options.credential,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
  }

  /** Records waiting for an ack. */
  backlog(): number {
    return this.#options.outbox.uploadBacklog();
  }

  /**
   * Uploads until the outbox is empty, retrying each batch until it is acknowledged.
   * @throws UploadRejectedError on a permanent refusal (its records stay unuploaded); the signal's
   *   reason when aborted; what the outbox throws (then the acknowledged batch is re-sent next time).
   */
  async drain(signal?: AbortSignal): Promise<DrainReport> {
    const report: DrainReport = { batches: 0, records: 0, accepted: 0, duplicates: 0, conflicts: 0, retries: 0 };
    for (;;) {
      signal?.throwIfAborted();
      const pending = this.#pending ?? this.#nextBatch();
      if (pending === undefined) return report;
      this.#pending = pending;
      let ack: BatchAck;
      try {
        ack = await this.#client.postBatch(pending.batch, signal);
      } catch (err) {
        if (err instanceof UploadUnavailableError) {
          report.retries += 1;
          await this.#waitToRetry(pending, err, signal);
          continue;
        }
        if (err instanceof UploadRejectedError) {
          // A refused batch stored nothing: its records go into a fresh batch next time.
          this.#pending = undefined;
          if (err.status === 413 && pending.ids.length > 1) {
            this.#maxRecords = Math.max(1, Math.floor(pending.ids.length / 2));
            this.#emit({ type: 'shrunk', batchId: pending.batch.batchId, maxBatchRecords: this.#maxRecords });
            continue;
          }
          this.#emit({ type: 'rejected', batchId: pending.batch.batchId, error: err });
        }
        throw err;
      }
      this.#options.outbox.markUploaded(pending.ids, ack.batchId);
      this.#pending = undefined;
      report.batches += 1;
      report.records += pending.ids.length;
      report.accepted += ack.accepted;
      report.duplicates += ack.duplicates;
      report.conflicts += ack.conflicts;
      this.#emit({ type: 'acked', ack, records: pending.ids.length });
    }
  }

  /**
   * Drains, then waits `idleMs`, and again, until `signal` aborts (then it resolves). After a
   * permanent refusal it waits `parkMs` instead.
   * @throws what the outbox throws (a store that cannot be written stops the loop).
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let pause = this.#options.idleMs ?? 30_000;
      try {
        await this.drain(signal);
      } catch (err) {
        if (signal.aborted) return;
        if (!(err instanceof UploadRejectedError)) throw err;
        pause = this.#options.parkMs ?? 3_600_000;
      }
      try {
        await this.#sleep(pause, signal);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
    }
  }

  #nextBatch(): PendingBatch | undefined {
    const entries = this.#options.outbox.unuploaded(this.#maxRecords);
    if (entries.length === 0) return undefined;
    const batchId = (this.#options.newBatchId ?? randomUUID)();
    const createdAt = (this.#options.clock ?? (() => new Date()))().toISOString();
    // JSON.stringify and the canonical encoding differ only in key order, not in length.
    let bytes = Buffer.byteLength(JSON.stringify({ batchId, terminal: this.terminal, createdAt, records: [], signature: '0'.repeat(128) }));
    let count = 0;
    for (const entry of entries) {
      bytes += Buffer.byteLength(JSON.stringify(entry.record)) + (count === 0 ? 0 : 1);
      // The first record goes even when alone it is too big: the backend's 413 then says so.
      if (count > 0 && bytes > this.#maxBytes) break;
      count += 1;
    }
    const chosen = entries.slice(0, count);
    const batch = signBatch({ batchId, terminal: this.terminal, createdAt, records: chosen.map((e) => e.record) }, this.#options.privateKey);
    return { batch, ids: chosen.map((e) => e.id), attempts: 0 };
  }

  async #waitToRetry(pending: PendingBatch, err: UploadUnavailableError, signal: AbortSignal | undefined): Promise<void> {
    const policy = this.#options.backoff ?? DEFAULT_BACKOFF;
    const jittered = backoffDelay(pending.attempts, policy, this.#options.random);
    const delayMs = Math.max(jittered, Math.min(err.retryAfterMs ?? 0, policy.maxMs));
    pending.attempts += 1;
    this.#emit({ type: 'retry', batchId: pending.batch.batchId, attempt: pending.attempts, delayMs, error: err });
    await this.#sleep(delayMs, signal);
  }

  #emit(event: UploadEvent): void {
    this.#options.onEvent?.(event);
  }
}

function inRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer ${min} to ${max}, got ${value}`);
  return value;
}
