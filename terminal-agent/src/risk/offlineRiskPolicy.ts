/**
 * The offline risk rules of a terminal, checked in this order before every debit:
 *
 * 1. Card on the local hotlist → refuse `CARD_HOTLISTED`, `blockCard` true (whatever else holds).
 * 2. Hotlist stale (last known current more than `maxOfflineMs` ago, or never) and the stale
 *    policy is `refuse` → refuse `HOTLIST_STALE`.
 * 3. The card's purchases since the last successful sync, plus this amount, above `capPerCard`
 *    → refuse `OFFLINE_CAP_REACHED`. Never synced: every purchase the ledger holds counts.
 * 4. Stale and the policy is `allowUpToStaleCap`: the same sum above `staleCapPerCard` → refuse
 *    `HOTLIST_STALE`.
 *
 * A sync resets the window, so the cap bounds what one card can spend between two moments the
 * terminal knew the list. Pure and synchronous: one in-memory lookup and at most one ledger query
 * (an indexed SQLite read in the `RecordStore`).
 */
import type { RiskDecision, RiskPolicy, SpendLedger } from './riskPolicy.js';

/** The terminal's hotlist as the policy reads it (`HotlistSync` is one). */
export interface HotlistView {
  has(cardNumber: string): boolean;
  /** When the terminal last knew its list was current; undefined if never. */
  lastSyncAt(): Date | undefined;
}

/**
 * What to do once the hotlist is older than `maxOfflineMs` (ms, ≥ 0; an age of exactly
 * `maxOfflineMs` is not stale yet):
 * - `refuse`: refuse every debit until a sync;
 * - `allowUpToCap`: carry on, the per-card cap is the only bound;
 * - `allowUpToStaleCap`: carry on with a lower per-card cap, `staleCapPerCard` (fen, 1..capPerCard).
 */
export type StalePolicy =
  | { readonly maxOfflineMs: number; readonly whenStale: 'refuse' }
  | { readonly maxOfflineMs: number; readonly whenStale: 'allowUpToCap' }
  | { readonly maxOfflineMs: number; readonly whenStale: 'allowUpToStaleCap'; readonly staleCapPerCard: number };

export interface OfflineRiskPolicyOptions {
  readonly hotlist: HotlistView;
  readonly spend: SpendLedger;
  /** Fen one card may spend since the last successful sync, this debit included; 1..2^53-1. */
  readonly capPerCard: number;
  readonly stalePolicy: StalePolicy;
}

const ALLOW: RiskDecision = { allow: true };
/** Where the window starts for a terminal that never synced. */
const NEVER = new Date(0);

/**
 * A policy with these rules. Throws `RangeError` for a cap that is not a positive safe integer,
 * a `maxOfflineMs` that is negative or not finite, or a stale cap outside 1..capPerCard.
 * `check` throws `RangeError` for an amount that is not a positive safe integer (fen).
 */
export function createOfflineRiskPolicy(options: OfflineRiskPolicyOptions): RiskPolicy {
  const { hotlist, spend, capPerCard, stalePolicy } = options;
  if (!isPositiveFen(capPerCard)) throw new RangeError(`capPerCard must be a positive whole number of fen, got ${capPerCard}`);
  if (!Number.isFinite(stalePolicy.maxOfflineMs) || stalePolicy.maxOfflineMs < 0) {
    throw new RangeError(`maxOfflineMs must be a finite number of ms >= 0, got ${stalePolicy.maxOfflineMs}`);
  }
  if (stalePolicy.whenStale === 'allowUpToStaleCap' && (!isPositiveFen(stalePolicy.staleCapPerCard) || stalePolicy.staleCapPerCard > capPerCard)) {
    throw new RangeError(`staleCapPerCard must be 1..${capPerCard} fen, got ${stalePolicy.staleCapPerCard}`);
  }

  return {
    check(cardNumber: string, amount: number, now: Date): RiskDecision {
      if (!isPositiveFen(amount)) throw new RangeError(`amount must be a positive whole number of fen, got ${amount}`);
      if (hotlist.has(cardNumber)) return { allow: false, reason: 'CARD_HOTLISTED', blockCard: true };
      const lastSyncAt = hotlist.lastSyncAt();
      const stale = isHotlistStale(lastSyncAt, now, stalePolicy.maxOfflineMs);
      if (stale && stalePolicy.whenStale === 'refuse') return { allow: false, reason: 'HOTLIST_STALE', blockCard: false };
      const total = spend.purchasedSince(cardNumber, lastSyncAt ?? NEVER) + amount;
      if (total > capPerCard) return { allow: false, reason: 'OFFLINE_CAP_REACHED', blockCard: false };
      if (stale && stalePolicy.whenStale === 'allowUpToStaleCap' && total > stalePolicy.staleCapPerCard) {
        return { allow: false, reason: 'HOTLIST_STALE', blockCard: false };
      }
      return ALLOW;
    },
  };
}

/**
 * Whether a list last known current at `lastSyncAt` is too old at `now`: never synced, or more
 * than `maxOfflineMs` ago. A `lastSyncAt` after `now` (the clock moved back) counts as fresh.
 */
export function isHotlistStale(lastSyncAt: Date | undefined, now: Date, maxOfflineMs: number): boolean {
  return lastSyncAt === undefined || now.getTime() - lastSyncAt.getTime() > maxOfflineMs;
}

function isPositiveFen(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}
