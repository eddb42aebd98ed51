/**
 * Issuance through a personalization station, as short stories (backend/src/domain/issuance/issuanceJobs.ts):
 *
 * - `createJob`: a clerk queues an approved card; the job snapshots what goes on the card.
 * - `claim`: a station takes the oldest queued job (or one whose lease ran out) and gets the snapshot.
 * - `complete`: the station reports CSN and certificate; the card becomes personalized, its
 *   personalization record is written and the job is done, in ONE transaction.
 * - `fail`: the station reports a failure; the job goes back to the queue (or to failed once its
 *   attempts are used up). The card record is never touched: a card is registered whole or not at all.
 */
import { X509Certificate, randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { IssuanceJobRepository } from '../../data/issuanceJobRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import { CardholderRegistry } from '../cardholders/cardholderRegistry.js';
import { CardLifecycle } from '../cards/cardLifecycle.js';
import {
  CardNotApprovedError,
  IssuanceBatchNotFoundError,
  IssuanceJobExistsError,
  IssuanceJobNotFoundError,
  IssuanceReportError,
  JobNotClaimedError,
  JobNotFailedError,
} from './errors.js';
import { DEFAULT_ORDER_SETTINGS, type OrderSettings, buildOrder } from './issuanceOrder.js';
import type { CardPersonalization, ClaimedJob, IssuanceJob, IssuanceProgress } from './issuanceJob.js';

export interface IssuanceJobsOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** How long a claim holds, 1 s to 1 h in ms; default 2 minutes. */
  readonly leaseMs?: number;
  /** Claims a job gets before it stays failed, 1-100; default 5. */
  readonly maxAttempts?: number;
  /** Four digits every card number starts with; default '1000'. */
  readonly cardNumberPrefix?: string;
  readonly order?: Partial<OrderSettings>;
}

/** Who acts: a staff member (id and role). */
export interface IssuanceActor {
  readonly id: string;
  readonly role: string;
}

export interface CreateJobOptions {
  readonly cardType?: 0 | 1 | 2 | 3 | 4 | undefined;
  readonly batchId?: string | undefined;
}

/** What the station reports after END PERSONALIZATION. */
export interface CompletionReport {
  readonly claimToken: string;
  readonly cardNumber: string;
  /** 8 bytes as 16 hex digits. */
  readonly csn: string;
  /** DER, as hex. */
  readonly certificate: string;
}

/** What the station reports when a card failed. */
export interface FailureReport {
  readonly claimToken: string;
  /** The personalization step, e.g. `PUT KEY DLK`. */
  readonly step: string;
  /** The cause, without secrets: error name and message. */
  readonly reason: string;
  /** false when retrying is pointless (the job goes to failed at once); default true. */
  readonly retryable?: boolean | undefined;
}

const DEFAULT_LEASE_MS = 2 * 60 * 1000;

export class IssuanceJobs {
  readonly #db: Database;
  readonly #jobs: IssuanceJobRepository;
  readonly #cards: CardLifecycle;
  readonly #cardholders: CardholderRegistry;
  readonly #audit: AuditSink;
  readonly #clock: () => Date;
  readonly #newId: () => string;
  readonly #leaseMs: number;
  readonly #maxAttempts: number;
  readonly #prefix: string;
  readonly #order: OrderSettings;

  /** @throws RangeError on an option out of its range. */
  constructor(db: Database, audit: AuditSink, options: IssuanceJobsOptions = {}) {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const maxAttempts = options.maxAttempts ?? 5;
    const prefix = options.cardNumberPrefix ?? '1000';
    if (!Number.isInteger(leaseMs) || leaseMs < 1000 || leaseMs > 3_600_000) throw new RangeError('leaseMs must be 1 s to 1 h');
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) throw new RangeError('maxAttempts must be 1-100');
    if (!/^\d{4}$/.test(prefix)) throw new RangeError('cardNumberPrefix must be 4 digits');
    this.#db = db;
    this.#jobs = new IssuanceJobRepository(db);
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? randomUUID;
    this.#cards = new CardLifecycle(db, audit, { clock: this.#clock });
    this.#cardholders = new CardholderRegistry(db, audit, { clock: this.#clock });
    this.#audit = audit;
    this.#leaseMs = leaseMs;
    this.#maxAttempts = maxAttempts;
    this.#prefix = prefix;
    this.#order = { ...DEFAULT_ORDER_SETTINGS, ...options.order };
  }

  /**
   * Queues an approved card for personalization, with a new card number.
   * @throws CardNotFoundError; CardNotApprovedError; IssuanceJobExistsError; IssuanceDataError.
   */
  createJob(cardId: string, actor: IssuanceActor, options: CreateJobOptions = {}): IssuanceJob {
    return this.#db.transaction(() => {
      const card = this.#cards.get(cardId);
      if (card.state !== 'approved') throw new CardNotApprovedError(cardId, card.state);
      const existing = this.#jobs.findByCard(cardId);
      if (existing !== undefined) throw new IssuanceJobExistsError(cardId, existing.id);
      // Reading the register for the card's data is logged like any other read of personal data.
      const holder = this.#cardholders.get(card.cardholderId, { accessor: actor.id, purpose: 'issuance' });
      const now = this.#clock();
      const seq = this.#jobs.nextSeq();
      const cardNumber = this.#prefix + String(seq).padStart(12, '0');
      const id = this.#newId();
      const order = buildOrder(holder, cardNumber, now, this.#order, options.cardType);
      const at = now.toISOString();
      this.#jobs.insert({ id, cardId, batchId: options.batchId ?? null, cardNumber, order, createdBy: actor.id, at }, seq);
      this.#audit.record({
        at,
        actor: actor.id,
        action: 'issuance.job-created',
        target: id,
        details: { cardId, cardNumber, batchId: options.batchId ?? null },
      });
      return this.get(id);
    }).immediate();
  }

  /**
   * Queues up to `count` (1-10,000) approved cards that have no job yet, oldest first, as one batch.
   * Returns the batch id and its jobs (possibly none). Throws as createJob.
   */
  createBatch(count: number, actor: IssuanceActor): { batchId: string; jobs: IssuanceJob[] } {
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new RangeError('count must be 1-10000');
    const batchId = this.#newId();
    const jobs = this.#db.transaction(() =>
      this.#jobs.approvedCardsWithoutJob(count).map((cardId) => this.createJob(cardId, actor, { batchId })),
    ).immediate();
    return { batchId, jobs };
  }

  /** The oldest job a station may work on, now claimed by `station`; undefined when the queue is empty. */
  claim(station: string, actor: IssuanceActor): ClaimedJob | undefined {
    return this.#db.transaction(() => {
      const now = this.#clock();
      const at = now.toISOString();
      const job = this.#jobs.nextClaimable(at);
      if (job === undefined || job.order === null) return undefined;
      const token = this.#newId();
      const leaseUntil = new Date(now.getTime() + this.#leaseMs).toISOString();
      // Cannot lose inside the IMMEDIATE transaction; guards a caller that bypasses it.
      if (!this.#jobs.claim(job.id, job.updatedAt, station, token, leaseUntil, at)) return undefined;
      this.#audit.record({
        at,
        actor: actor.id,
        action: 'issuance.claimed',
        target: job.id,
        details: { station, attempt: job.attempts + 1, previousStation: job.state === 'claimed' ? job.station : null },
      });
      return { jobId: job.id, claimToken: token, leaseUntil, attempt: job.attempts + 1, order: job.order };
    }).immediate();
  }

  /**
   * The station personalized the card: records card number, CSN and certificate, marks the card
   * personalized and the job done, all in one transaction. Repeating a report that already
   * succeeded (same CSN and card number) returns the same record, so a station may resend a
   * report whose answer it lost.
   * @throws IssuanceJobNotFoundError; JobNotClaimedError; IssuanceReportError; InvalidTransitionError.
   */
  complete(jobId: string, report: CompletionReport, actor: IssuanceActor): CardPersonalization {
    const csn = report.csn.toUpperCase();
    const certificate = report.certificate.toUpperCase();
    return this.#db.transaction(() => {
      const job = this.#require(jobId);
      if (job.state === 'done') {
        const done = this.#jobs.personalizationOf(job.cardId);
        if (done !== undefined && done.csn === csn && done.cardNumber === report.cardNumber) return done;
      }
      if (job.state !== 'claimed' || job.claimToken !== report.claimToken) throw new JobNotClaimedError(jobId, job.state);
      if (report.cardNumber !== job.cardNumber) {
        throw new IssuanceReportError(`the card number ${report.cardNumber} is not the job's (${job.cardNumber})`);
      }
      checkCertificate(certificate);
      const holder = this.#jobs.cardWithCsn(csn);
      if (holder !== undefined) throw new IssuanceReportError(`chip serial number ${csn} already belongs to another card`);
      const at = this.#clock().toISOString();
      // The card record carries its number from here on: the hotlist and identity look cards up by it.
      this.#cards.markPersonalized(job.cardId, { actor: { id: `station:${job.station ?? 'unknown'}`, roles: ['system'] } }, job.cardNumber);
      const record: CardPersonalization = { cardId: job.cardId, jobId, cardNumber: job.cardNumber, csn, certificate, personalizedAt: at };
      this.#jobs.insertPersonalization(record);
      if (!this.#jobs.markDone(jobId, report.claimToken, at)) throw new JobNotClaimedError(jobId, job.state);
      this.#audit.record({
        at,
        actor: actor.id,
        action: 'issuance.completed',
        target: jobId,
        details: { cardId: job.cardId, cardNumber: job.cardNumber, csn, station: job.station, attempt: job.attempts },
      });
      return record;
    }).immediate();
  }

  /**
   * The station could not finish the card: the job returns to the queue, or becomes failed when
   * its attempts are used up or the failure is not retryable. The card record does not change.
   * @throws IssuanceJobNotFoundError; JobNotClaimedError.
   */
  fail(jobId: string, report: FailureReport, actor: IssuanceActor): IssuanceJob {
    return this.#db.transaction(() => {
      const job = this.#require(jobId);
      if (job.state !== 'claimed' || job.claimToken !== report.claimToken) throw new JobNotClaimedError(jobId, job.state);
      const to = report.retryable === false || job.attempts >= this.#maxAttempts ? 'failed' : 'queued';
      const at = this.#clock().toISOString();
      const lastError = `${report.step}: ${report.reason}`.slice(0, 500);
      this.#jobs.release(jobId, report.claimToken, to, lastError, at);
      this.#audit.record({
        at,
        actor: actor.id,
        action: 'issuance.failed',
        target: jobId,
        details: { cardId: job.cardId, station: job.station, attempt: job.attempts, step: report.step.slice(0, 100), next: to },
      });
      return this.get(jobId);
    }).immediate();
  }

  /**
   * Puts a failed job back in the queue with fresh attempts (after the fault was fixed).
   * @throws IssuanceJobNotFoundError; JobNotFailedError.
   */
  requeue(jobId: string, actor: IssuanceActor): IssuanceJob {
    return this.#db.transaction(() => {
      const job = this.#require(jobId);
      const at = this.#clock().toISOString();
      if (!this.#jobs.requeue(jobId, at)) throw new JobNotFailedError(jobId, job.state);
      this.#audit.record({ at, actor: actor.id, action: 'issuance.requeued', target: jobId, details: { cardId: job.cardId } });
      return this.get(jobId);
    }).immediate();
  }

  /** @throws IssuanceJobNotFoundError. */
  get(jobId: string): IssuanceJob {
    return this.#require(jobId);
  }

  /** The card's personalization record, once personalized through a station. */
  personalizationOf(cardId: string): CardPersonalization | undefined {
    return this.#jobs.personalizationOf(cardId);
  }

  /**
   * Job counts of one batch, or of every job when batchId is undefined.
   * @throws IssuanceBatchNotFoundError for a batch without jobs.
   */
  progress(batchId?: string): IssuanceProgress {
    if (batchId !== undefined && !this.#jobs.batchExists(batchId)) throw new IssuanceBatchNotFoundError(batchId);
    return this.#jobs.progress(batchId ?? null);
  }

  #require(jobId: string): IssuanceJob {
    const job = this.#jobs.findById(jobId);
    if (job === undefined) throw new IssuanceJobNotFoundError(jobId);
    return job;
  }
}

/** @throws IssuanceReportError unless `hex` is a DER X.509 certificate. */
function checkCertificate(hex: string): void {
  try {
    new X509Certificate(Buffer.from(hex, 'hex'));
  } catch (err) {
    throw new IssuanceReportError('the certificate does not parse as X.509', { cause: err });
  }
}
