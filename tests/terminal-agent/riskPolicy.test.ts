/**
 * Offline risk rules: a table of decisions at a fixed clock, with the exact boundaries (cap
 * reached vs exceeded by 1 fen, list age exactly maxOfflineMs vs 1 ms more), the order of the
 * rules, the spend window handed to the ledger, and the refused configurations.
 */
import { describe, expect, it } from 'vitest';
import {
  type HotlistView,
  type RiskDecision,
  type SpendLedger,
  type StalePolicy,
  createOfflineRiskPolicy,
  isHotlistStale,
} from '../../terminal-agent/src/risk/index.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const CAP = 2000;
const STALE_CAP = 500;
const LISTED = '1000000000000001';
const CARD = '1000000000000002';

/** Last sync exactly maxOfflineMs before NOW: still fresh. */
const SYNC_AT_LIMIT = new Date('2026-11-22T12:00:00.000Z');
/** One millisecond older: stale. */
const SYNC_PAST_LIMIT = new Date('2026-11-22T11:59:59.999Z');
/** After NOW: the terminal's clock moved back. */
const SYNC_IN_FUTURE = new Date('2026-11-23T12:05:00.000Z');

const REFUSE: StalePolicy = { maxOfflineMs: DAY_MS, whenStale: 'refuse' };
const UP_TO_CAP: StalePolicy = { maxOfflineMs: DAY_MS, whenStale: 'allowUpToCap' };
const UP_TO_STALE_CAP: StalePolicy = { maxOfflineMs: DAY_MS, whenStale: 'allowUpToStaleCap', staleCapPerCard: STALE_CAP };

const ALLOW: RiskDecision = { allow: true };
const HOTLISTED: RiskDecision = { allow: false, reason: 'CARD_HOTLISTED', blockCard: true };
const CAPPED: RiskDecision = { allow: false, reason: 'OFFLINE_CAP_REACHED', blockCard: false };
const STALE: RiskDecision = { allow: false, reason: 'HOTLIST_STALE', blockCard: false };

/** A ledger that answers a fixed sum and remembers what it was asked. */
function ledger(spent: number) {
  const asked: { cardNumber: string; since: Date }[] = [];
  const spend: SpendLedger = {
    purchasedSince(cardNumber, since) {
      asked.push({ cardNumber, since });
      return spent;
    },
  };
  return { spend, asked };
}

function hotlist(lastSyncAt: Date | undefined): HotlistView {
  return { has: (cardNumber) => cardNumber === LISTED, lastSyncAt: () => lastSyncAt };
}

interface Row {
  readonly name: string;
  readonly policy: StalePolicy;
  readonly lastSyncAt: Date | undefined;
  readonly card: string;
  readonly spent: number;
  readonly amount: number;
  readonly expected: RiskDecision;
  /** Whether the ledger is consulted (it is skipped when an earlier rule already refused). */
  readonly queries: boolean;
}

const ROWS: readonly Row[] = [
  { name: 'listed card, fresh list', policy: REFUSE, lastSyncAt: SYNC_AT_LIMIT, card: LISTED, spent: 0, amount: 100, expected: HOTLISTED, queries: false },
  { name: 'listed card, stale list: the hotlist wins', policy: REFUSE, lastSyncAt: SYNC_PAST_LIMIT, card: LISTED, spent: 0, amount: 100, expected: HOTLISTED, queries: false },
  { name: 'listed card, over the cap: the hotlist wins', policy: UP_TO_CAP, lastSyncAt: SYNC_AT_LIMIT, card: LISTED, spent: CAP, amount: 1, expected: HOTLISTED, queries: false },
  { name: 'cap exactly reached', policy: REFUSE, lastSyncAt: SYNC_AT_LIMIT, card: CARD, spent: 1500, amount: 500, expected: ALLOW, queries: true },
  { name: 'cap exceeded by 1 fen', policy: REFUSE, lastSyncAt: SYNC_AT_LIMIT, card: CARD, spent: 1501, amount: 500, expected: CAPPED, queries: true },
  { name: 'one debit of the whole cap', policy: REFUSE, lastSyncAt: SYNC_AT_LIMIT, card: CARD, spent: 0, amount: CAP, expected: ALLOW, queries: true },
  { name: 'one debit of the cap + 1 fen', policy: REFUSE, lastSyncAt: SYNC_AT_LIMIT, card: CARD, spent: 0, amount: CAP + 1, expected: CAPPED, queries: true },
  { name: 'age exactly maxOfflineMs is fresh', policy: REFUSE, lastSyncAt: SYNC_AT_LIMIT, card: CARD, spent: 0, amount: 100, expected: ALLOW, queries: true },
  { name: 'age maxOfflineMs + 1 ms, refuse', policy: REFUSE, lastSyncAt: SYNC_PAST_LIMIT, card: CARD, spent: 0, amount: 100, expected: STALE, queries: false },
  { name: 'never synced, refuse', policy: REFUSE, lastSyncAt: undefined, card: CARD, spent: 0, amount: 100, expected: STALE, queries: false },
  { name: 'clock moved back behind the last sync is fresh', policy: REFUSE, lastSyncAt: SYNC_IN_FUTURE, card: CARD, spent: 0, amount: 100, expected: ALLOW, queries: true },
  { name: 'stale, allowUpToCap, cap exactly reached', policy: UP_TO_CAP, lastSyncAt: SYNC_PAST_LIMIT, card: CARD, spent: 1500, amount: 500, expected: ALLOW, queries: true },
  { name: 'stale, allowUpToCap, cap exceeded by 1 fen', policy: UP_TO_CAP, lastSyncAt: SYNC_PAST_LIMIT, card: CARD, spent: 1501, amount: 500, expected: CAPPED, queries: true },
  { name: 'never synced, allowUpToCap', policy: UP_TO_CAP, lastSyncAt: undefined, card: CARD, spent: 0, amount: 100, expected: ALLOW, queries: true },
  { name: 'stale, stale cap exactly reached', policy: UP_TO_STALE_CAP, lastSyncAt: SYNC_PAST_LIMIT, card: CARD, spent: 400, amount: 100, expected: ALLOW, queries: true },
  { name: 'stale, stale cap exceeded by 1 fen', policy: UP_TO_STALE_CAP, lastSyncAt: SYNC_PAST_LIMIT, card: CARD, spent: 401, amount: 100, expected: STALE, queries: true },
  { name: 'stale, over both caps: the cap is reported', policy: UP_TO_STALE_CAP, lastSyncAt: SYNC_PAST_LIMIT, card: CARD, spent: 1901, amount: 100, expected: CAPPED, queries: true },
  { name: 'fresh, over the stale cap only: allowed', policy: UP_TO_STALE_CAP, lastSyncAt: SYNC_AT_LIMIT, card: CARD, spent: 1000, amount: 1000, expected: ALLOW, queries: true },
  { name: 'never synced, stale cap exceeded by 1 fen', policy: UP_TO_STALE_CAP, lastSyncAt: undefined, card: CARD, spent: 0, amount: STALE_CAP + 1, expected: STALE, queries: true },
];

describe('createOfflineRiskPolicy decisions', () => {
  it.each(ROWS)('$name', (row) => {
    const { spend, asked } = ledger(row.spent);
    const policy = createOfflineRiskPolicy({ hotlist: hotlist(row.lastSyncAt), spend, capPerCard: CAP, stalePolicy: row.policy });
    expect(policy.check(row.card, row.amount, NOW)).toEqual(row.expected);
    // The window is "since the last successful sync"; a terminal that never synced counts everything.
    expect(asked).toEqual(row.queries ? [{ cardNumber: row.card, since: row.lastSyncAt ?? new Date(0) }] : []);
  });
});

describe('createOfflineRiskPolicy refusals of bad input', () => {
  const { spend } = ledger(0);
  const fresh = hotlist(SYNC_AT_LIMIT);

  it.each([0, -1, 1.5, Number.NaN, 2 ** 53])('refuses capPerCard %s', (capPerCard) => {
    expect(() => createOfflineRiskPolicy({ hotlist: fresh, spend, capPerCard, stalePolicy: REFUSE })).toThrow(RangeError);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses maxOfflineMs %s', (maxOfflineMs) => {
    expect(() => createOfflineRiskPolicy({ hotlist: fresh, spend, capPerCard: CAP, stalePolicy: { maxOfflineMs, whenStale: 'refuse' } })).toThrow(RangeError);
  });

  it.each([0, CAP + 1, 10.5])('refuses staleCapPerCard %s', (staleCapPerCard) => {
    const stalePolicy: StalePolicy = { maxOfflineMs: DAY_MS, whenStale: 'allowUpToStaleCap', staleCapPerCard };
    expect(() => createOfflineRiskPolicy({ hotlist: fresh, spend, capPerCard: CAP, stalePolicy })).toThrow(RangeError);
  });

  it('accepts a stale cap equal to the cap and maxOfflineMs 0', () => {
    const stalePolicy: StalePolicy = { maxOfflineMs: 0, whenStale: 'allowUpToStaleCap', staleCapPerCard: CAP };
    const policy = createOfflineRiskPolicy({ hotlist: hotlist(NOW), spend, capPerCard: CAP, stalePolicy });
    expect(policy.check(CARD, CAP, NOW)).toEqual(ALLOW);
  });

  it.each([0, -100, 1.5, Number.NaN])('check refuses amount %s', (amount) => {
    const policy = createOfflineRiskPolicy({ hotlist: fresh, spend, capPerCard: CAP, stalePolicy: REFUSE });
    expect(() => policy.check(CARD, amount, NOW)).toThrow(RangeError);
  });
});

describe('isHotlistStale', () => {
  it.each([
    { lastSyncAt: undefined, maxOfflineMs: DAY_MS, stale: true },
    { lastSyncAt: SYNC_AT_LIMIT, maxOfflineMs: DAY_MS, stale: false },
    { lastSyncAt: SYNC_PAST_LIMIT, maxOfflineMs: DAY_MS, stale: true },
    { lastSyncAt: NOW, maxOfflineMs: 0, stale: false },
    { lastSyncAt: SYNC_IN_FUTURE, maxOfflineMs: 0, stale: false },
  ])('last sync $lastSyncAt, max $maxOfflineMs ms → stale $stale', ({ lastSyncAt, maxOfflineMs, stale }) => {
    expect(isHotlistStale(lastSyncAt, NOW, maxOfflineMs)).toBe(stale);
  });
});
