/**
 * The records a terminal keeps of purse transactions, as plain data (strings and numbers only):
 * they go to SQLite on the kiosk and are uploaded to clearing later. Byte fields are upper-case
 * hex, dates `YYYYMMDD`, times `hhmmss`, card numbers 16 digits.
 *
 * A record proves a transaction: its TAC, checked by the HSM, binds the card to the amount,
 * terminal, date and time (and for a purchase the TTSN; for a load the new balance and counter).
 * Clearing de-duplicates purchases on (card number, offline counter) and on (terminal, TTSN).
 */
import type { PurseTrailEntry } from './purseTrail.js';

interface RecordCommon {
  /** 16 digits, from EF 0x15. */
  readonly cardNumber: string;
  /** Fen, 1 to 2^32-1. */
  readonly amount: number;
  /** Terminal number, 12 hex digits. */
  readonly terminal: string;
  /** `YYYYMMDD` the card's cryptograms cover. */
  readonly date: string;
  /** `hhmmss`. */
  readonly time: string;
  /** Balance before the transaction (from INITIALIZE). */
  readonly balanceBefore: number;
  readonly keyVersion: number;
  readonly algorithmId: number;
  /** Every APDU of the transaction, recovery included. */
  readonly trail: readonly PurseTrailEntry[];
}

export interface PurchaseRecord extends RecordCommon {
  readonly kind: 'purchase';
  /** Offline counter before the purchase (INITIALIZE FOR PURCHASE); the card's counter after it is one more. */
  readonly offlineCounter: number;
  /** Terminal transaction sequence number the PSAM assigned. */
  readonly ttsn: number;
  /** The card's MAC2, 8 hex digits. */
  readonly mac2: string;
  /** The card's TAC, 8 hex digits. */
  readonly tac: string;
  /** Whether the PSAM verified MAC2 (false for a recovered record, or when the PSAM said wrong). */
  readonly mac2Verified: boolean;
  /** True when the answer to DEBIT was lost and the proof came from GET TRANSACTION PROOF. */
  readonly recovered: boolean;
}

export interface LoadRecord extends RecordCommon {
  readonly kind: 'load';
  /** Online counter before the load (INITIALIZE FOR LOAD). */
  readonly onlineCounter: number;
  /** The HSM's MAC2, 8 hex digits. */
  readonly mac2: string;
  /** The card's TAC, 8 hex digits. */
  readonly tac: string;
  /** Whether the HSM verified the TAC. */
  readonly tacVerified: boolean;
  /** True when the answer to CREDIT was lost and the proof came from GET TRANSACTION PROOF. */
  readonly recovered: boolean;
}

/** A purchase whose DEBIT answer was lost: what recovery needs (§6). Plain data, can be stored. */
export interface PendingPurchase extends RecordCommon {
  readonly kind: 'purchase';
  readonly offlineCounter: number;
  readonly ttsn: number;
}

/** A load whose CREDIT answer was lost: what recovery needs (§6). Plain data, can be stored. */
export interface PendingLoad extends RecordCommon {
  readonly kind: 'load';
  readonly onlineCounter: number;
  /** The MAC2 that went to the card, 8 hex digits. */
  readonly mac2: string;
}

export type PendingTransaction = PendingPurchase | PendingLoad;
