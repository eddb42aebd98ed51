/**
 * Replacement cards (issue 6, item 5): once the transfer window has passed, the old card's shadow
 * balance (its balance minus what cleared in between) moves to the new card in one ledger entry
 * keyed by the transfer id, and the transfer is executed and audited in the same transaction.
 * Zero balances are executed without an entry; negative ones and new cards without a number wait.
 * Runs are idempotent, also when given a stale list of due transfers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { AuditLog } from '../../backend/src/domain/audit/index.js';
import type { AuditSink } from '../../backend/src/domain/audit/auditSink.js';
import { CardholderRegistry } from '../../backend/src/domain/cardholders/index.js';
import { type BalanceTransfer, CardLifecycle, type LifecycleActor } from '../../backend/src/domain/cards/index.js';
import {
  Ledger,
  type ReplacementTransferDeps,
  replacementTransferKey,
  transferReplacementBalances,
} from '../../backend/src/domain/ledger/index.js';

const REPLACED_AT = new Date('2026-03-01T08:00:00.000Z');
const JUST_BEFORE_DUE = new Date('2026-03-04T07:59:59.999Z');
const DUE = new Date('2026-03-04T08:00:00.000Z');
const LATER = new Date('2026-03-05T09:00:00.000Z');

const OLD_CARD = '6200000000000001';
const NEW_CARD = '6200000000000002';
const OTHER_OLD_CARD = '6200000000000003';
const MERCHANT = 'M-BAKERY';

const CLERK: LifecycleActor = { id: 'clerk-1', roles: ['clerk'] };
const ADMIN: LifecycleActor = { id: 'admin-1', roles: ['admin'] };

let db: Db;
let audit: AuditLog;
let registry: CardholderRegistry;
let lifecycle: CardLifecycle;
let ledger: Ledger;
let ids: number;
let now: Date;

beforeEach(() => {
  db = openDatabase(':memory:');
  migrate(db);
  ids = 0;
  now = REPLACED_AT;
  const newId = (): string => `id-${++ids}`;
  audit = new AuditLog(db);
  lifecycle = new CardLifecycle(db, audit, { clock: () => now, newId });
  ledger = new Ledger(db, () => now);
  registry = new CardholderRegistry(db, audit, { clock: () => now, newId });
});
afterEach(() => db.close());

/** An active card of a new cardholder, with `cardNumber` written at personalization (or none). */
function activeCard(cardNumber: string | null): string {
  const holder = registry.enroll(
    {
      kind: 'floating',
      fullName: 'Wang Fang',
      birthDate: '1985-04-12',
      address: 'Shinan District',
      residencePermit: { number: `PERMIT-${String(ids + 1).padStart(6, '0')}`, expiresOn: '2028-01-01' },
    },
    CLERK.id,
  ).id;
  const card = lifecycle.applyForCard(holder, CLERK);
  lifecycle.approve(card.id, { actor: ADMIN });
  lifecycle.markPersonalized(card.id, { actor: ADMIN }, cardNumber ?? undefined);
  lifecycle.issue(card.id, { actor: ADMIN });
  lifecycle.activate(card.id, { actor: ADMIN });
  return card.id;
}

/** Brings the replacement card to personalized with its number. */
function personalize(cardId: string, cardNumber: string): void {
  lifecycle.approve(cardId, { actor: ADMIN });
  lifecycle.markPersonalized(cardId, { actor: ADMIN }, cardNumber);
}

const deps = (overrides: Partial<ReplacementTransferDeps> = {}): ReplacementTransferDeps => ({ db, ledger, cards: lifecycle, audit, ...overrides });
const load = (card: string, amount: number, n: number): void =>
  void ledger.post({ key: `load:${card}:${n}`, kind: 'load', cardNumber: card, amount, at: '2026-02-20T10:00:00.000Z' });
const purchase = (card: string, amount: number, n: number): void =>
  void ledger.post({ key: `purchase:${card}:${n}`, kind: 'purchase', cardNumber: card, amount, merchantId: MERCHANT, feeBps: 60, at: '2026-03-02T12:00:00.000Z' });
const entryCount = (): number => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM ledger_entries').get()!.n;
const transferAudits = (transferId: string): { at: string; actor: string; details: string }[] =>
  audit.forSubject(transferId).filter((e) => e.action === 'card.balance-transferred').map((e) => ({ at: e.at, actor: e.actor, details: e.details }));

describe('transferReplacementBalances', () => {
  it('moves what is left after the purchases that cleared in the window, once the new card has its number', () => {
    const oldId = activeCard(OLD_CARD);
    load(OLD_CARD, 5_000, 0);
    const { newCard, transfer } = lifecycle.replace(oldId, { actor: CLERK, reason: 'damaged' });
    // Offline purchases made before the swap clear during the window, against the old card.
    purchase(OLD_CARD, 1_000, 0);
    purchase(OLD_CARD, 200, 1);

    expect(transferReplacementBalances(deps(), JUST_BEFORE_DUE)).toEqual([]);
    expect(transferReplacementBalances(deps(), DUE)).toEqual([
      { transferId: transfer.id, fromCardId: oldId, toCardId: newCard.id, fromCardNumber: OLD_CARD, toCardNumber: null, outcome: 'waiting', amount: 0, entryId: null },
    ]);
    expect(lifecycle.balanceTransferFrom(oldId)?.status).toBe('scheduled');
    expect(entryCount()).toBe(3);

    personalize(newCard.id, NEW_CARD);
    now = LATER;
    const [moved] = transferReplacementBalances(deps(), LATER);
    expect(moved).toEqual({
      transferId: transfer.id,
      fromCardId: oldId,
      toCardId: newCard.id,
      fromCardNumber: OLD_CARD,
      toCardNumber: NEW_CARD,
      outcome: 'moved',
      amount: 3_800,
      entryId: 4,
    });
    expect([ledger.shadowBalance(OLD_CARD), ledger.shadowBalance(NEW_CARD)]).toEqual([0, 3_800]);
    expect(ledger.entry(replacementTransferKey(transfer.id))).toEqual({
      id: 4,
      key: `transfer:${transfer.id}`,
      kind: 'transfer',
      cardNumber: OLD_CARD,
      toCardNumber: NEW_CARD,
      merchantId: null,
      amount: 3_800,
      feeBps: null,
      fee: 0,
      at: LATER.toISOString(),
      ref: transfer.id,
      postedAt: LATER.toISOString(),
    });
    expect(lifecycle.balanceTransferFrom(oldId)?.status).toBe('executed');
    expect(transferAudits(transfer.id)).toEqual([
      { at: LATER.toISOString(), actor: 'system', details: `{"amountFen":3800,"entryId":4,"fromCardId":"${oldId}","toCardId":"${newCard.id}"}` },
    ]);
    expect(transferReplacementBalances(deps(), LATER)).toEqual([]);
    expect(entryCount()).toBe(4);
    expect(ledger.checkConservation()).toMatchObject({ ok: true, loads: 5_000, purchases: 1_200, totalFloat: 3_800 });
  });

  it('executes a zero balance without an entry, also for an old card that never had a number', () => {
    const spent = activeCard(OLD_CARD);
    load(OLD_CARD, 700, 0);
    purchase(OLD_CARD, 700, 0);
    const a = lifecycle.replace(spent, { actor: CLERK });
    const numberless = activeCard(null);
    const b = lifecycle.replace(numberless, { actor: CLERK });
    const before = entryCount();

    const results = transferReplacementBalances(deps(), DUE);
    expect(results.map((r) => [r.transferId, r.outcome, r.amount, r.entryId, r.fromCardNumber])).toEqual([
      [a.transfer.id, 'zero', 0, null, OLD_CARD],
      [b.transfer.id, 'zero', 0, null, null],
    ]);
    expect(entryCount()).toBe(before);
    expect([lifecycle.balanceTransferFrom(spent)?.status, lifecycle.balanceTransferFrom(numberless)?.status]).toEqual(['executed', 'executed']);
    expect(transferAudits(a.transfer.id).map((e) => e.details)).toEqual([
      `{"amountFen":0,"entryId":null,"fromCardId":"${spent}","toCardId":"${a.newCard.id}"}`,
    ]);
  });

  it('holds a negative balance back, reporting it each run, until a late load makes it whole', () => {
    const oldId = activeCard(OLD_CARD);
    const { newCard, transfer } = lifecycle.replace(oldId, { actor: CLERK });
    personalize(newCard.id, NEW_CARD);
    purchase(OLD_CARD, 700, 0);

    const negative = { transferId: transfer.id, fromCardId: oldId, toCardId: newCard.id, fromCardNumber: OLD_CARD, toCardNumber: NEW_CARD, outcome: 'negative', amount: -700, entryId: null };
    expect(transferReplacementBalances(deps(), DUE)).toEqual([negative]);
    expect(transferReplacementBalances(deps(), LATER)).toEqual([negative]);
    expect(lifecycle.balanceTransferFrom(oldId)?.status).toBe('scheduled');
    expect(transferAudits(transfer.id)).toEqual([]);

    load(OLD_CARD, 1_000, 0);
    expect(transferReplacementBalances(deps(), LATER)).toEqual([{ ...negative, outcome: 'moved', amount: 300, entryId: 3 }]);
    expect([ledger.shadowBalance(OLD_CARD), ledger.shadowBalance(NEW_CARD)]).toEqual([0, 300]);
  });

  it('finishes a transfer whose entry is already posted, without a second entry', () => {
    const oldId = activeCard(OLD_CARD);
    load(OLD_CARD, 2_000, 0);
    const { newCard, transfer } = lifecycle.replace(oldId, { actor: CLERK });
    personalize(newCard.id, NEW_CARD);
    const posted = ledger.transfer({ key: replacementTransferKey(transfer.id), fromCardNumber: OLD_CARD, toCardNumber: NEW_CARD, amount: 1_500, at: DUE.toISOString() });

    expect(transferReplacementBalances(deps(), DUE)).toMatchObject([{ outcome: 'moved', amount: 1_500, entryId: posted.entryId }]);
    expect(entryCount()).toBe(2);
    expect(lifecycle.balanceTransferFrom(oldId)?.status).toBe('executed');
    expect(transferAudits(transfer.id)).toHaveLength(1);
  });

  it('changes nothing when handed a stale list of transfers another run executed', () => {
    const withBalance = activeCard(OLD_CARD);
    load(OLD_CARD, 900, 0);
    const a = lifecycle.replace(withBalance, { actor: CLERK });
    personalize(a.newCard.id, NEW_CARD);
    const empty = activeCard(OTHER_OLD_CARD);
    const b = lifecycle.replace(empty, { actor: CLERK });
    const stale: BalanceTransfer[] = lifecycle.balanceTransfersDue(DUE);
    const staleCards = { balanceTransfersDue: (): BalanceTransfer[] => stale, cardNumberOf: (id: string) => lifecycle.cardNumberOf(id) };

    const first = transferReplacementBalances(deps(), DUE);
    expect(first.map((r) => r.outcome)).toEqual(['moved', 'zero']);
    const auditsBefore = audit.forSubject(a.transfer.id).length + audit.forSubject(b.transfer.id).length;

    const second = transferReplacementBalances(deps({ cards: staleCards }), LATER);
    expect(second.map((r) => [r.transferId, r.outcome, r.amount, r.entryId])).toEqual([
      [a.transfer.id, 'moved', 900, first[0]!.entryId],
      [b.transfer.id, 'gone', 0, null],
    ]);
    expect(entryCount()).toBe(2);
    expect(audit.forSubject(a.transfer.id).length + audit.forSubject(b.transfer.id).length).toBe(auditsBefore);
    expect(ledger.shadowBalance(NEW_CARD)).toBe(900);
  });

  it('rolls the transfer back when its audit entry cannot be written', () => {
    const oldId = activeCard(OLD_CARD);
    load(OLD_CARD, 1_234, 0);
    const { newCard } = lifecycle.replace(oldId, { actor: CLERK });
    personalize(newCard.id, NEW_CARD);
    const failing: AuditSink = {
      record: () => {
        throw new Error('audit disk full');
      },
    };

    expect(() => transferReplacementBalances(deps({ audit: failing }), DUE)).toThrow('audit disk full');
    expect(lifecycle.balanceTransferFrom(oldId)?.status).toBe('scheduled');
    expect([ledger.shadowBalance(OLD_CARD), ledger.shadowBalance(NEW_CARD), entryCount()]).toEqual([1_234, 0, 1]);
    expect(transferReplacementBalances(deps(), DUE).map((r) => [r.outcome, r.amount])).toEqual([['moved', 1_234]]);
  });
});
