/**
 * What a purse flow ends with. A flow returns an outcome for everything the card or the
 * business decides (insufficient funds, blocked card, card taken away) and throws only for
 * terminal faults (PSAM or HSM unreachable, a card breaking the protocol) and bad arguments.
 *
 * - `approved`: the card debited or credited and the proof checked out; keep the record.
 * - `suspect`: the card debited or credited (keep the record: money moved) but a check failed
 *   or could not run; the reason says which.
 * - `declined`: nothing was debited or credited, for certain; the reason says why.
 * - `unknown`: the answer to DEBIT or CREDIT was lost; keep `pending` and run recovery with the
 *   same card (see recovery.ts).
 */
import type { LoadRecord, PendingLoad, PendingPurchase, PurchaseRecord } from './purseRecords.js';
import type { PurseTrailEntry } from './purseTrail.js';

export const DECLINE_REASON = {
  /** The card has no EP (SELECT 6A82). */
  NOT_A_PURSE: 'NOT_A_PURSE',
  /** The card left (or failed) before the debit or credit was sent. */
  CARD_REMOVED: 'CARD_REMOVED',
  /** The transaction date is before the card's effective date. */
  CARD_NOT_YET_VALID: 'CARD_NOT_YET_VALID',
  /** The transaction date is after the card's expiry date. */
  CARD_EXPIRED: 'CARD_EXPIRED',
  /** The caller's hotlist names the card. */
  CARD_HOTLISTED: 'CARD_HOTLISTED',
  /** 9401. */
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  /** 6985 at INITIALIZE FOR PURCHASE: above the card's max single purchase. */
  OVER_PURCHASE_LIMIT: 'OVER_PURCHASE_LIMIT',
  /** 6985 at INITIALIZE FOR LOAD: the balance would pass the card's max balance. */
  OVER_MAX_BALANCE: 'OVER_MAX_BALANCE',
  /** 9402. */
  COUNTER_EXHAUSTED: 'COUNTER_EXHAUSTED',
  /** 6A81. */
  CARD_BLOCKED: 'CARD_BLOCKED',
  /** 9303. */
  CARD_LOCKED: 'CARD_LOCKED',
  /** 9403 from the card. */
  CARD_KEY_NOT_FOUND: 'CARD_KEY_NOT_FOUND',
  /** 9403 from the PSAM: it serves no MPK of the card's key version. */
  PSAM_KEY_NOT_FOUND: 'PSAM_KEY_NOT_FOUND',
  /** The HSM found the card's load MAC1 wrong: not a genuine card (or tampered answer). */
  CARD_MAC1_REJECTED: 'CARD_MAC1_REJECTED',
  /** 9302 at DEBIT: the card refused the PSAM's MAC1 (PSAM holds other keys). */
  MAC1_REJECTED: 'MAC1_REJECTED',
  /** 9302 at CREDIT: the card refused the HSM's MAC2. */
  MAC2_REJECTED: 'MAC2_REJECTED',
  /** The card refused the DEBIT or CREDIT for another reason that changes nothing (e.g. 6985). */
  REFUSED_BY_CARD: 'REFUSED_BY_CARD',
} as const;

export type DeclineReason = (typeof DECLINE_REASON)[keyof typeof DECLINE_REASON];

export const SUSPECT_REASON = {
  /** The PSAM found the card's MAC2 wrong. */
  MAC2_INVALID: 'MAC2_INVALID',
  /** The PSAM could not check MAC2. */
  MAC2_UNVERIFIED: 'MAC2_UNVERIFIED',
  /** The HSM found the card's load TAC wrong. */
  TAC_INVALID: 'TAC_INVALID',
  /** The HSM could not check the load TAC. */
  TAC_UNVERIFIED: 'TAC_UNVERIFIED',
} as const;

export type SuspectReason = (typeof SUSPECT_REASON)[keyof typeof SUSPECT_REASON];

export interface Declined {
  readonly kind: 'declined';
  readonly reason: DeclineReason;
  /** The status word behind the reason, when there is one. */
  readonly sw: number | undefined;
  readonly detail: string;
  readonly trail: readonly PurseTrailEntry[];
}

export type PurchaseOutcome =
  | { readonly kind: 'approved'; readonly record: PurchaseRecord; readonly newBalance: number }
  | { readonly kind: 'suspect'; readonly reason: SuspectReason; readonly record: PurchaseRecord; readonly newBalance: number }
  | Declined
  | { readonly kind: 'unknown'; readonly pending: PendingPurchase; readonly detail: string };

export type LoadOutcome =
  | { readonly kind: 'approved'; readonly record: LoadRecord; readonly newBalance: number }
  | { readonly kind: 'suspect'; readonly reason: SuspectReason; readonly record: LoadRecord; readonly newBalance: number }
  | Declined
  | { readonly kind: 'unknown'; readonly pending: PendingLoad; readonly detail: string };

/**
 * What recovery of a torn transaction ends with:
 * - `recovered`: the transaction committed; the record carries the card's proof. `newBalance` is
 *   the card's balance when recovery could read it right after the transaction, else undefined.
 * - `notCommitted`: the card never debited or credited it, for certain; nothing is owed.
 * - `wrongCard`: another card was presented (`presented` is '' for a card without an EP);
 *   nothing was asked of it.
 * - `unresolved`: the card was used since and no longer tells; clearing must decide.
 */
export type RecoveryOutcome<R> =
  | { readonly kind: 'recovered'; readonly record: R; readonly newBalance: number | undefined }
  | { readonly kind: 'notCommitted'; readonly detail: string; readonly trail: readonly PurseTrailEntry[] }
  | { readonly kind: 'wrongCard'; readonly presented: string; readonly expected: string; readonly trail: readonly PurseTrailEntry[] }
  | { readonly kind: 'unresolved'; readonly detail: string; readonly trail: readonly PurseTrailEntry[] };

/** What blocking a hotlisted card ends with. */
export type BlockOutcome =
  | { readonly kind: 'blocked'; readonly cardNumber: string; readonly trail: readonly PurseTrailEntry[] }
  | { readonly kind: 'wrongCard'; readonly presented: string; readonly expected: string; readonly trail: readonly PurseTrailEntry[] }
  | { readonly kind: 'refused'; readonly sw: number; readonly detail: string; readonly trail: readonly PurseTrailEntry[] };
