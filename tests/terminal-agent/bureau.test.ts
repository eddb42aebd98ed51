/**
 * The station in bureau mode end to end, in one process: the backend over HTTP (issuance jobs),
 * a test-profile HSM (`LocalHsm`, bureau role), and blank virtual cards (card-os `ManagedCard`)
 * in an in-process slot. Covers a batch, a power cut in the middle of a card, and a completion
 * report whose answer is lost.
 */
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@citycard/protocols';
import { MemoryStore, idApplication, type PersistentStore } from '@citycard/card-os';
import { CardRemovedError, type CardTransport, InProcessAdapter } from '@citycard/terminal-agent';
import { epApplication } from '../../card-os/src/applications/ep/index.js';
import { ManagedCard, TEST_MTRK, manufactureBlankCard, transportKeyFor } from '../../card-os/src/personalization/secure/index.js';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { CardholderRegistry } from '../../backend/src/domain/cardholders/index.js';
import { CardLifecycle } from '../../backend/src/domain/cards/index.js';
import { IssuanceJobs } from '../../backend/src/domain/issuance/index.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';
import {
  type ClaimedIssuanceJob,
  HttpIssuanceQueue,
  type IssuanceOutcome,
  type IssuanceQueue,
  IssuanceQueueError,
  type IssuanceSuccess,
  issueCard,
  runIssuanceBatch,
} from '../../terminal-agent/src/bureau/index.js';
import { type TestHsm, makeTestHsm } from '../hsm-sim/fixtures.js';

const PASSWORD = 'bureau station passphrase';
const CERTIFICATE_FILE = 'df/F043495459494401/ef/0003';
/** Chip serial numbers of the blank cards, one per card. */
const csnOf = (n: number): Buffer => fromHex(`CAFE0000000000${n.toString(16).padStart(2, '0').toUpperCase()}`);

let hsm: TestHsm;
let server: RunningServer;
let token: string;
let cards: CardLifecycle;
let cardholders: CardholderRegistry;
let issuance: IssuanceJobs;
let citizenSeq = 0;
const db = openDatabase(':memory:');

beforeAll(async () => {
  hsm = makeTestHsm();
  migrate(db);
  const built = createApp({ config: loadConfig({}), db });
  cards = new CardLifecycle(db, built.context.audit);
  cardholders = new CardholderRegistry(db, built.context.audit);
  issuance = new IssuanceJobs(db, built.context.audit);
  const { staff, oneTimePassword } = await built.context.staff.create({ username: 'station1', displayName: 'station', role: 'clerk' }, 'system');
  await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
  token = (await built.context.sessions.login('station1', PASSWORD, '127.0.0.1')).token;
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
});

afterAll(async () => {
  await server.close();
  hsm.dispose();
});

beforeEach(() => {
  // Each case starts with an empty queue: earlier jobs are all done or failed for good.
  expect(issuance.progress().queued + issuance.progress().claimed).toBe(0);
});

function approvedCard(): string {
  const body = `11010519491231${String(++citizenSeq).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  const holder = cardholders.enroll(
    { kind: 'resident', fullName: '张三', citizenId: body + '10X98765432'[sum % 11]!, birthDate: '1949-12-31', address: 'Shinan' },
    'clerk-1',
  );
  const card = cards.applyForCard(holder.id, { id: 'clerk-1', roles: ['clerk'] });
  cards.approve(card.id, { actor: { id: 'sup-1', roles: ['supervisor'] } });
  return card.id;
}

/** A blank card in a store that outlives the card object (as a real card's EEPROM outlives a power cut). */
function blankStore(csn: Buffer): PersistentStore {
  const store = new MemoryStore();
  manufactureBlankCard(store, { profile: 'card', csn, transportKey: transportKeyFor(TEST_MTRK, csn) });
  return store;
}

function slotFor(store: PersistentStore): InProcessAdapter {
  return new InProcessAdapter(new ManagedCard({ store, applications: [idApplication, epApplication] }), 'card');
}

/** Passes the first `allowed` commands, then the card is pulled out. */
class PowerCut implements CardTransport {
  readonly name = 'power-cut';
  sent = 0;
  constructor(
    private readonly inner: CardTransport,
    private readonly allowed: number,
  ) {}
  powerOn(): Promise<Buffer> {
    return this.inner.powerOn();
  }
  async transmit(command: Uint8Array): Promise<Buffer> {
    if (++this.sent > this.allowed) throw new CardRemovedError('the card was pulled out');
    return this.inner.transmit(command);
  }
  isPresent(): Promise<boolean> {
    return this.inner.isPresent();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const queue = (): HttpIssuanceQueue => new HttpIssuanceQueue({ baseUrl: server.url, token, station: 'station-1' });

describe('bureau mode', () => {
  it('issues a batch: every card personalized on the card and in the backend, with the certificate the card holds', async () => {
    const cardIds = [approvedCard(), approvedCard(), approvedCard()];
    const { batchId } = issuance.createBatch(3, { id: 'clerk-1', role: 'clerk' });
    const stores: PersistentStore[] = [];
    const outcomes: IssuanceOutcome[] = [];
    const result = await runIssuanceBatch({
      queue: queue(),
      custodian: hsm.as('bureau'),
      count: 3,
      blankCard: async () => {
        stores.push(blankStore(csnOf(stores.length + 1)));
        return slotFor(stores.at(-1)!);
      },
      onOutcome: (o) => outcomes.push(o),
    });
    expect(result).toEqual({ count: 3, done: 3, failed: 0, unreported: 0, stopped: 'count-reached' });
    expect(outcomes.map((o) => o.kind)).toEqual(['done', 'done', 'done']);
    for (const [i, cardId] of cardIds.entries()) {
      expect(cards.get(cardId).state).toBe('personalized');
      const record = issuance.personalizationOf(cardId)!;
      expect(record.csn).toBe(toHex(csnOf(i + 1)));
      expect(record.certificate).toBe(toHex(stores[i]!.get(CERTIFICATE_FILE)!));
    }
    expect(issuance.progress(batchId)).toEqual({ total: 3, queued: 0, claimed: 0, done: 3, failed: 0, retries: 0 });
    expect(await runIssuanceBatch({ queue: queue(), custodian: hsm.as('bureau'), count: 1, blankCard: () => Promise.reject(new Error('unused')) }))
      .toMatchObject({ done: 0, stopped: 'queue-empty' });
  });

  for (const allowed of [0, 1, 5, 12]) {
    it(`a power cut after ${allowed} commands: the job goes back to the queue, the card stays blank and is issued on retry`, async () => {
      const cardId = approvedCard();
      const job = issuance.createJob(cardId, { id: 'clerk-1', role: 'clerk' });
      const store = blankStore(csnOf(0x80 + allowed));
      const q = queue();
      const claimed = (await q.claim())!;
      const outcome = await issueCard(q, claimed, new PowerCut(slotFor(store), allowed), hsm.as('bureau'));
      expect(outcome.kind).toBe('failed');
      expect(issuance.get(job.id)).toMatchObject({ state: 'queued', attempts: 1, lastError: expect.stringContaining('CardRemovedError') });
      expect(cards.get(cardId).state).toBe('approved');
      expect(issuance.personalizationOf(cardId)).toBeUndefined();

      const again = (await q.claim())!;
      expect(again).toMatchObject({ jobId: job.id, attempt: 2 });
      expect(await issueCard(q, again, slotFor(store), hsm.as('bureau'))).toMatchObject({ kind: 'done', jobId: job.id });
      expect(cards.get(cardId).state).toBe('personalized');
      expect(issuance.personalizationOf(cardId)!.csn).toBe(toHex(csnOf(0x80 + allowed)));
    });
  }

  it('a completion report whose answer is lost is sent again and registers the card once', async () => {
    const cardId = approvedCard();
    issuance.createJob(cardId, { id: 'clerk-1', role: 'clerk' });
    const inner = queue();
    let reports = 0;
    const lossy: IssuanceQueue = {
      claim: () => inner.claim(),
      fail: (job, failure) => inner.fail(job, failure),
      complete: async (job: ClaimedIssuanceJob, result: IssuanceSuccess) => {
        reports++;
        await inner.complete(job, result);
        if (reports === 1) throw new IssuanceQueueError('the answer was lost', 0, undefined);
      },
    };
    const claimed = (await lossy.claim())!;
    const outcome = await issueCard(lossy, claimed, slotFor(blankStore(csnOf(0x40))), hsm.as('bureau'));
    expect(outcome.kind).toBe('done');
    expect(reports).toBe(2);
    expect(cards.get(cardId).state).toBe('personalized');
  });

  it('a card that is not blank fails the job back to the queue, card record unchanged', async () => {
    const cardId = approvedCard();
    const job = issuance.createJob(cardId, { id: 'clerk-1', role: 'clerk' });
    const used = blankStore(csnOf(0x90));
    const other = approvedCard();
    issuance.createJob(other, { id: 'clerk-1', role: 'clerk' });
    const q = queue();
    expect((await issueCard(q, (await q.claim())!, slotFor(used), hsm.as('bureau'))).kind).toBe('done');
    const second = (await q.claim())!;
    const outcome = await issueCard(q, second, slotFor(used), hsm.as('bureau'));
    expect(outcome).toMatchObject({ kind: 'failed', failure: { step: 'opening the session', retryable: true } });
    expect(cards.get(other).state).toBe('approved');
    expect(issuance.get(second.jobId).state).toBe('queued');
    expect(await issueCard(q, (await q.claim())!, slotFor(blankStore(csnOf(0x91))), hsm.as('bureau'))).toMatchObject({ kind: 'done' });
    expect(job.cardId).toBe(cardId);
  });

  it('a CSN the backend already knows is refused: the card is set aside unreported and the job stays claimed', async () => {
    const cardId = approvedCard();
    issuance.createJob(cardId, { id: 'clerk-1', role: 'clerk' });
    const q = queue();
    const claimed = (await q.claim())!;
    const outcome = await issueCard(q, claimed, slotFor(blankStore(csnOf(0x90))), hsm.as('bureau'));
    expect(outcome).toMatchObject({ kind: 'unreported', error: { status: 422, code: 'ISSUANCE_REPORT_INVALID' } });
    expect(cards.get(cardId).state).toBe('approved');
    expect(issuance.get(claimed.jobId).state).toBe('claimed');
    await q.fail(claimed, { step: 'report', reason: 'set aside', retryable: false });
  });
});
