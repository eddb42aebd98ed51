/**
 * Issuance jobs in the domain: create, claim, complete, fail, retry and batch progress, and that
 * an interruption at any step leaves the card record either unchanged or personalized whole.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { AuditLog, verifyAuditChain } from '../../backend/src/domain/audit/index.js';
import type { AuditEntry, AuditSink } from '../../backend/src/domain/audit/auditSink.js';
import { CardholderRegistry } from '../../backend/src/domain/cardholders/index.js';
import { CardLifecycle, type LifecycleActor } from '../../backend/src/domain/cards/index.js';
import {
  CardNotApprovedError,
  IssuanceBatchNotFoundError,
  IssuanceJobExistsError,
  IssuanceJobs,
  IssuanceReportError,
  JobNotClaimedError,
  JobNotFailedError,
} from '../../backend/src/domain/issuance/index.js';

const START = new Date('2026-11-23T09:30:00.000Z');
const CLERK = { id: 'clerk-1', role: 'clerk' };
const CLERK_ACTOR: LifecycleActor = { id: 'clerk-1', roles: ['clerk'] };
const SUPERVISOR: LifecycleActor = { id: 'sup-1', roles: ['supervisor'] };
const CSN_1 = 'CAFE000000000001';
const CSN_2 = 'CAFE000000000002';
const LEASE_MS = 60_000;

const RESIDENT = {
  kind: 'resident',
  fullName: '张三',
  citizenId: '11010519491231002X',
  birthDate: '1949-12-31',
  address: 'Shinan District',
};

/** The order the first job of RESIDENT must carry, field for field. */
const FIRST_ORDER = {
  cardInfo: { cardNumber: '1000000000000001', effectiveDate: '20261123', expiryDate: '20361122', cardType: 0, issuerId: '0000000000000001' },
  cardholder: { name: '张三', citizenId: '11010519491231002X', dateOfBirth: '19491231', residency: 'permanent' },
  purse: { maxBalance: 100_000, maxSinglePurchase: 50_000 },
};

let certificateHex: string;
beforeAll(() => {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 1024, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = START;
  cert.validity.notAfter = new Date('2036-11-22T00:00:00Z');
  cert.setSubject([{ name: 'commonName', value: '1000000000000001' }]);
  cert.setIssuer([{ name: 'commonName', value: 'test CA' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  certificateHex = forge.util.bytesToHex(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes()).toUpperCase();
});

/** Lets a test make the audit sink fail at one action, as a crash in the middle of a transaction would. */
class FailingAudit implements AuditSink {
  failOn: string | undefined;
  constructor(private readonly inner: AuditSink) {}
  record(entry: AuditEntry): void {
    if (entry.action === this.failOn) throw new Error(`simulated crash at ${entry.action}`);
    this.inner.record(entry);
  }
}

let dir: string;
let db: Db;
let now: Date;
let audit: FailingAudit;
let registry: CardholderRegistry;
let lifecycle: CardLifecycle;
let issuance: IssuanceJobs;
let ids: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'citycard-issuance-'));
  db = openDatabase(dir);
  migrate(db);
  now = new Date(START.getTime());
  ids = 0;
  const clock = (): Date => new Date(now.getTime());
  const newId = (): string => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
  audit = new FailingAudit(new AuditLog(db));
  registry = new CardholderRegistry(db, audit, { clock, newId });
  lifecycle = new CardLifecycle(db, audit, { clock, newId });
  issuance = new IssuanceJobs(db, audit, { clock, newId, leaseMs: LEASE_MS, maxAttempts: 2 });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function approvedCard(citizenId = RESIDENT.citizenId): string {
  const holder = registry.enroll({ ...RESIDENT, citizenId }, 'clerk-1');
  const card = lifecycle.applyForCard(holder.id, CLERK_ACTOR);
  lifecycle.approve(card.id, { actor: SUPERVISOR });
  return card.id;
}

/** A valid citizen id number (ISO 7064 MOD 11-2 check digit) with sequence `n`. */
function citizenId(n: number): string {
  const body = `11010519491231${String(n).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return body + '10X98765432'[sum % 11]!;
}

const report = (claimToken: string, csn = CSN_1, cardNumber = '1000000000000001') => ({ claimToken, cardNumber, csn, certificate: certificateHex });

describe('creating jobs', () => {
  it('snapshots card info, cardholder and purse limits, numbers the card, and logs the read of personal data', () => {
    const cardId = approvedCard();
    const job = issuance.createJob(cardId, CLERK);
    expect(job).toMatchObject({ cardId, cardNumber: '1000000000000001', state: 'queued', attempts: 0, batchId: null, createdBy: 'clerk-1' });
    expect(job.order).toEqual(FIRST_ORDER);
    const holderId = lifecycle.get(cardId).cardholderId;
    expect(registry.accessLogFor(holderId).map((e) => [e.accessor, e.purpose])).toEqual([['clerk-1', 'issuance']]);
  });

  it('gives floating population a type 4 card carrying the permit number and ending with the permit', () => {
    const holder = registry.enroll(
      { kind: 'floating', fullName: 'Li Na', birthDate: '1990-01-01', address: 'Laoshan', residencePermit: { number: 'RP-000123', expiresOn: '2027-06-30' } },
      'clerk-1',
    );
    const card = lifecycle.applyForCard(holder.id, CLERK_ACTOR);
    lifecycle.approve(card.id, { actor: SUPERVISOR });
    const order = issuance.createJob(card.id, CLERK).order!;
    expect(order.cardInfo).toMatchObject({ cardType: 4, expiryDate: '20270630' });
    expect(order.cardholder).toEqual({ name: 'Li Na', citizenId: 'RP-000123', dateOfBirth: '19900101', residency: 'temporary' });
  });

  it('refuses a card that is not approved, and a second job for one card', () => {
    const holder = registry.enroll(RESIDENT, 'clerk-1');
    const applied = lifecycle.applyForCard(holder.id, CLERK_ACTOR);
    expect(() => issuance.createJob(applied.id, CLERK)).toThrow(CardNotApprovedError);
    lifecycle.approve(applied.id, { actor: SUPERVISOR });
    issuance.createJob(applied.id, CLERK);
    expect(() => issuance.createJob(applied.id, CLERK)).toThrow(IssuanceJobExistsError);
    expect(issuance.progress()).toMatchObject({ total: 1, queued: 1 });
  });
});

describe('claim, complete, fail, retry', () => {
  it('claims the oldest job once, completes it in one step: card personalized with its number, CSN and certificate', () => {
    const cardId = approvedCard();
    const job = issuance.createJob(cardId, CLERK);
    const claimed = issuance.claim('station-1', CLERK)!;
    expect(claimed).toMatchObject({ jobId: job.id, attempt: 1, leaseUntil: '2026-11-23T09:31:00.000Z', order: FIRST_ORDER });
    expect(issuance.claim('station-2', CLERK)).toBeUndefined();

    const record = issuance.complete(job.id, report(claimed.claimToken), CLERK);
    expect(record).toEqual({ cardId, jobId: job.id, cardNumber: '1000000000000001', csn: CSN_1, certificate: certificateHex, personalizedAt: START.toISOString() });
    expect(lifecycle.get(cardId).state).toBe('personalized');
    // The card record itself carries the number: the hotlist and identity verification find cards by it.
    expect(lifecycle.findByCardNumber('1000000000000001')?.id).toBe(cardId);
    const done = issuance.get(job.id);
    expect(done).toMatchObject({ state: 'done', claimToken: null, order: null });
    expect(issuance.personalizationOf(cardId)).toEqual(record);
    expect(verifyAuditChain(db).ok).toBe(true);
  });

  it('accepts the same report again (its answer was lost) and refuses a different one', () => {
    const cardId = approvedCard();
    const job = issuance.createJob(cardId, CLERK);
    const claimed = issuance.claim('station-1', CLERK)!;
    const first = issuance.complete(job.id, report(claimed.claimToken), CLERK);
    expect(issuance.complete(job.id, report(claimed.claimToken), CLERK)).toEqual(first);
    expect(() => issuance.complete(job.id, report(claimed.claimToken, CSN_2), CLERK)).toThrow(JobNotClaimedError);
  });

  it('refuses a report with the wrong card number, a certificate that does not parse, or a CSN of another card: nothing changes', () => {
    const other = approvedCard(citizenId(3));
    const otherJob = issuance.createJob(other, CLERK);
    issuance.complete(otherJob.id, report(issuance.claim('station-1', CLERK)!.claimToken, CSN_1, otherJob.cardNumber), CLERK);

    const cardId = approvedCard();
    const job = issuance.createJob(cardId, CLERK);
    const claimed = issuance.claim('station-1', CLERK)!;
    expect(() => issuance.complete(job.id, report(claimed.claimToken, CSN_2, '1000000000000099'), CLERK)).toThrow(IssuanceReportError);
    expect(() => issuance.complete(job.id, { ...report(claimed.claimToken, CSN_2, job.cardNumber), certificate: '3082' + '00'.repeat(70) }, CLERK)).toThrow(IssuanceReportError);
    expect(() => issuance.complete(job.id, report(claimed.claimToken, CSN_1, job.cardNumber), CLERK)).toThrow(/already belongs/);
    expect(lifecycle.get(cardId).state).toBe('approved');
    expect(issuance.get(job.id).state).toBe('claimed');
    expect(issuance.personalizationOf(cardId)).toBeUndefined();
  });

  it('puts a failed job back in the queue, fails it for good once its attempts are used, and requeues it on request', () => {
    const cardId = approvedCard();
    const job = issuance.createJob(cardId, CLERK);
    const first = issuance.claim('station-1', CLERK)!;
    expect(issuance.fail(job.id, { claimToken: first.claimToken, step: 'PUT KEY DLK', reason: 'CardRemovedError: card removed' }, CLERK))
      .toMatchObject({ state: 'queued', attempts: 1, lastError: 'PUT KEY DLK: CardRemovedError: card removed' });
    expect(() => issuance.fail(job.id, { claimToken: first.claimToken, step: 'x', reason: 'y' }, CLERK)).toThrow(JobNotClaimedError);
    const second = issuance.claim('station-1', CLERK)!;
    expect(second.attempt).toBe(2);
    expect(issuance.fail(job.id, { claimToken: second.claimToken, step: 'GENERATE KEY PAIR', reason: 'TransportError: gone' }, CLERK).state).toBe('failed');
    expect(issuance.claim('station-1', CLERK)).toBeUndefined();
    expect(issuance.progress()).toEqual({ total: 1, queued: 0, claimed: 0, done: 0, failed: 1, retries: 2 });
    expect(lifecycle.get(cardId).state).toBe('approved');

    expect(issuance.requeue(job.id, CLERK)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(() => issuance.requeue(job.id, CLERK)).toThrow(JobNotFailedError);
    const third = issuance.claim('station-1', CLERK)!;
    issuance.complete(job.id, report(third.claimToken), CLERK);
    expect(lifecycle.get(cardId).state).toBe('personalized');
  });

  it('fails a job at once when the failure is not retryable', () => {
    const job = issuance.createJob(approvedCard(), CLERK);
    const claimed = issuance.claim('station-1', CLERK)!;
    expect(issuance.fail(job.id, { claimToken: claimed.claimToken, step: 'encoding the card data', reason: 'IdDataError', retryable: false }, CLERK).state).toBe('failed');
  });
});

describe('interruptions', () => {
  it('a station that dies after its claim loses the job when the lease runs out; its late report is refused', () => {
    const cardId = approvedCard();
    const job = issuance.createJob(cardId, CLERK);
    const dead = issuance.claim('station-1', CLERK)!;
    now = new Date(START.getTime() + LEASE_MS - 1);
    expect(issuance.claim('station-2', CLERK)).toBeUndefined();
    now = new Date(START.getTime() + LEASE_MS + 1);
    const taken = issuance.claim('station-2', CLERK)!;
    expect(taken).toMatchObject({ jobId: job.id, attempt: 2 });
    expect(() => issuance.complete(job.id, report(dead.claimToken), CLERK)).toThrow(JobNotClaimedError);
    expect(lifecycle.get(cardId).state).toBe('approved');
    issuance.complete(job.id, report(taken.claimToken), CLERK);
    expect(issuance.get(job.id)).toMatchObject({ state: 'done', station: 'station-2' });
  });

  it('a crash while recording the completion rolls everything back: card approved, no record, job still claimed', () => {
    const cardId = approvedCard();
    const job = issuance.createJob(cardId, CLERK);
    const claimed = issuance.claim('station-1', CLERK)!;
    audit.failOn = 'issuance.completed';
    expect(() => issuance.complete(job.id, report(claimed.claimToken), CLERK)).toThrow(/simulated crash/);
    expect(lifecycle.get(cardId).state).toBe('approved');
    expect(issuance.personalizationOf(cardId)).toBeUndefined();
    expect(issuance.get(job.id)).toMatchObject({ state: 'claimed', claimToken: claimed.claimToken, order: FIRST_ORDER });
    audit.failOn = undefined;
    issuance.complete(job.id, report(claimed.claimToken), CLERK);
    expect(lifecycle.get(cardId).state).toBe('personalized');
    expect(verifyAuditChain(db).ok).toBe(true);
  });

  it('a crash while recording the claim leaves the job queued', () => {
    const job = issuance.createJob(approvedCard(), CLERK);
    audit.failOn = 'issuance.claimed';
    expect(() => issuance.claim('station-1', CLERK)).toThrow(/simulated crash/);
    expect(issuance.get(job.id)).toMatchObject({ state: 'queued', attempts: 0, claimToken: null });
  });
});

describe('batches', () => {
  it('queues the approved cards without a job, oldest first, and counts their progress', () => {
    const a = approvedCard(citizenId(1));
    const b = approvedCard(citizenId(2));
    const single = approvedCard(citizenId(4));
    issuance.createJob(single, CLERK);
    const { batchId, jobs } = issuance.createBatch(10, CLERK);
    expect(jobs.map((j) => j.cardId)).toEqual([a, b]);
    expect(jobs.map((j) => j.cardNumber)).toEqual(['1000000000000002', '1000000000000003']);
    const claimed = issuance.claim('station-1', CLERK)!;
    expect(claimed.order.cardInfo.cardNumber).toBe('1000000000000001');
    issuance.complete(claimed.jobId, report(claimed.claimToken), CLERK);
    const next = issuance.claim('station-1', CLERK)!;
    issuance.fail(next.jobId, { claimToken: next.claimToken, step: 'power on', reason: 'CardAbsentError' }, CLERK);
    expect(issuance.progress(batchId)).toEqual({ total: 2, queued: 2, claimed: 0, done: 0, failed: 0, retries: 1 });
    expect(issuance.progress()).toEqual({ total: 3, queued: 2, claimed: 0, done: 1, failed: 0, retries: 1 });
    expect(() => issuance.progress('00000000-0000-4000-8000-999999999999')).toThrow(IssuanceBatchNotFoundError);
    expect(issuance.createBatch(5, CLERK).jobs).toEqual([]);
  });
});
