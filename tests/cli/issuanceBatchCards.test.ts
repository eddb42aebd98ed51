/**
 * How the batch gets its blank cards (terminal-agent/src/bureau/issuanceBatch.ts): a card in the
 * reader before each claim, never a job held while the operator fetches one.
 */
import { describe, expect, it } from 'vitest';
import { CARD_TYPE } from '@citycard/protocols';
import {
  CardAbsentError,
  type CardTransport,
  type ClaimedIssuanceJob,
  type IssuanceFailure,
  type IssuanceQueue,
  type StationCustodian,
  runIssuanceBatch,
} from '@citycard/terminal-agent';

const ORDER: ClaimedIssuanceJob['order'] = {
  cardInfo: { cardNumber: '1000000000000001', effectiveDate: '20261123', expiryDate: '20361122', cardType: CARD_TYPE.adult, issuerId: '0000000000000001' },
  cardholder: { name: 'Li Na', citizenId: '11010519491231002X', dateOfBirth: '19491231', residency: 'permanent' },
  purse: { maxBalance: 100_000, maxSinglePurchase: 50_000 },
};

/** Hands out `jobs` jobs and logs every call, in order. */
class LoggedQueue implements IssuanceQueue {
  readonly log: string[];
  #left: number;
  constructor(jobs: number, log: string[]) {
    this.#left = jobs;
    this.log = log;
  }
  async claim(): Promise<ClaimedIssuanceJob | undefined> {
    if (this.#left === 0) {
      this.log.push('claim: none');
      return undefined;
    }
    const jobId = `job-${this.#left--}`;
    this.log.push(`claim: ${jobId}`);
    return { jobId, claimToken: 'token', leaseUntil: '2026-11-23T00:02:00.000Z', attempt: 1, order: ORDER };
  }
  async complete(): Promise<void> {
    this.log.push('complete');
  }
  async fail(job: ClaimedIssuanceJob, failure: IssuanceFailure): Promise<void> {
    this.log.push(`fail: ${job.jobId} at ${failure.step}, retryable ${failure.retryable}`);
  }
}

/** A slot whose card never powers on: every card fails at once, before the HSM is asked anything. */
const DEAD_SLOT: CardTransport = {
  name: 'dead',
  powerOn: () => Promise.reject(new CardAbsentError('no card in "dead"')),
  transmit: () => Promise.reject(new CardAbsentError('no card in "dead"')),
  isPresent: async () => false,
  close: async () => undefined,
};
const NO_HSM = new Proxy({}, { get: () => { throw new Error('the HSM is not part of this test'); } }) as StationCustodian;

describe('runIssuanceBatch and its blank cards', () => {
  it('asks for a card before every claim, with the progress so far', async () => {
    const log: string[] = [];
    const result = await runIssuanceBatch({
      queue: new LoggedQueue(2, log),
      custodian: NO_HSM,
      count: 2,
      maxConsecutiveFailures: 5,
      nextCard: async (p) => void log.push(`next card: done ${p.done}, failed ${p.failed}`),
      blankCard: async () => DEAD_SLOT,
    });
    expect(result).toEqual({ count: 2, done: 0, failed: 2, unreported: 0, stopped: 'queue-empty' });
    expect(log).toEqual([
      'next card: done 0, failed 0',
      'claim: job-2',
      'fail: job-2 at power on, retryable true',
      'next card: done 0, failed 1',
      'claim: job-1',
      'fail: job-1 at power on, retryable true',
      'next card: done 0, failed 2',
      'claim: none',
    ]);
  });

  it('stops with no-blank-card and claims nothing when no card comes', async () => {
    const log: string[] = [];
    const noCard = new Error('no blank card within 3 s');
    const result = await runIssuanceBatch({
      queue: new LoggedQueue(1, log),
      custodian: NO_HSM,
      count: 1,
      nextCard: () => Promise.reject(noCard),
      blankCard: async () => DEAD_SLOT,
    });
    expect(result).toEqual({ count: 1, done: 0, failed: 0, unreported: 0, stopped: 'no-blank-card', cause: noCard });
    expect(log).toEqual([]);
  });

  it('gives a claimed job back at once when its blank card cannot be had, and throws', async () => {
    const log: string[] = [];
    const broken = new Error('the feeder jammed');
    await expect(
      runIssuanceBatch({ queue: new LoggedQueue(1, log), custodian: NO_HSM, count: 1, blankCard: () => Promise.reject(broken) }),
    ).rejects.toBe(broken);
    expect(log).toEqual(['claim: job-1', 'fail: job-1 at getting a blank card, retryable true']);
  });
});
