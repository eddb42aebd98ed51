/**
 * The port a terminal consults before every debit (issue 5, contract 2). A refusal with
 * `blockCard` true means: block the purse with the PSAM maintenance MAC (`blockHotlistedCard`).
 */

export type RiskRefusal = 'CARD_HOTLISTED' | 'OFFLINE_CAP_REACHED' | 'HOTLIST_STALE';

export type RiskDecision = { readonly allow: true } | { readonly allow: false; readonly reason: RiskRefusal; readonly blockCard: boolean };

export interface RiskPolicy {
  /** Decide on debiting `amount` fen from the card at `now`. Synchronous: it runs at the gate. */
  check(cardNumber: string, amount: number, now: Date): RiskDecision;
}

/** Spend data a policy reads (the terminal's `RecordStore` implements it). */
export interface SpendLedger {
  /** Sum in fen of this card's purchases stored or intended since `since`. */
  purchasedSince(cardNumber: string, since: Date): number;
}
