/**
 * Volatile state of the PSAM application (one selection in one power session): the purchase a
 * MAC1 was just issued for, so that the next command alone may verify its MAC2.
 */

/** What verify MAC2 checks against: the MAC2 the card must answer, and when MAC1 was issued. */
export interface PendingPurchase {
  /** Purchase MAC2 (4 bytes) under the transaction's SESPK over its amount. */
  readonly expectedMac2: Buffer;
  /** `Session.commandCount` of the MAC1 command. */
  readonly issuedAt: number;
}

export interface PsamState {
  pending: PendingPurchase | undefined;
}

export function newPsamState(): PsamState {
  return { pending: undefined };
}
