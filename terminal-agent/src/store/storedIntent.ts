/**
 * A purchase intent: what the terminal writes durably just before it sends DEBIT, so that no
 * power cut can leave a debit the terminal does not know about. An intent is `pending` until the
 * purchase's outcome is known, then resolved once:
 *
 * - `completed`: the purchase's record was stored (same transaction as the resolution);
 * - `recovered`: the DEBIT answer was lost and recovery found the debit; its record was stored;
 * - `notCommitted`: the card never debited it, for certain; nothing is owed;
 * - `unrecoverable`: the card was not presented again within the recovery window, or recovery
 *   answered `unresolved`; the money may have moved but the terminal holds no proof (`detail`
 *   says why). These stay listed for reporting.
 */
import type { PendingPurchase } from '../purse/purseRecords.js';

export type IntentStatus = 'pending' | 'completed' | 'recovered' | 'notCommitted' | 'unrecoverable';

/** How `resolveIntent` may settle a pending intent. */
export type IntentResolution = 'recovered' | 'notCommitted' | 'unrecoverable';

export interface StoredIntent {
  /** The store's id of the intent, from 1. */
  readonly id: number;
  /** What recovery needs, as written before DEBIT. */
  readonly pending: PendingPurchase;
  /** When the intent was written (the terminal's clock). */
  readonly writtenAt: Date;
  readonly status: IntentStatus;
  /** Why it was resolved so (recovery's detail); undefined while pending or when completed. */
  readonly detail: string | undefined;
  /** The id of the stored record, for `completed` and `recovered`. */
  readonly recordId: number | undefined;
  readonly resolvedAt: Date | undefined;
}
