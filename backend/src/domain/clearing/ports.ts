/**
 * What clearing needs from the rest of the backend, as ports: the HSM's TAC checks, a way to put
 * a cloned card on the hotlist, and the ledger. `clearInboxRows` takes them in {@link ClearingDeps}.
 */
import type { LoadTacCheck, PurchaseTacCheck } from '@citycard/hsm-sim';
import type { Database } from 'better-sqlite3';
import type { Ledger } from '../ledger/index.js';
import type { Clock } from '../staff/clock.js';

/**
 * The HSM's TAC checks (`HsmClient` or `LocalHsm` of role `clearing` fit as they are). Purchase
 * TACs are checked in batches. Loads are checked by `verifyLoadTacs` when offered, else one by
 * one with `verifyLoadTac`; with neither, clearing trusts the HSM's check at load time (the
 * record's `tacVerified`).
 */
export interface TacVerifier {
  /** One verdict per check, in order; rejects (e.g. `code` KEY_NOT_FOUND) for the whole batch. */
  verifyPurchaseTacs(checks: readonly PurchaseTacCheck[]): Promise<boolean[]>;
  verifyLoadTacs?(checks: readonly LoadTacCheck[]): Promise<boolean[]>;
  verifyLoadTac?(check: LoadTacCheck): Promise<boolean>;
}

/** Puts a card found cloned on the hotlist. Must be idempotent: a pending listing is retried. */
export interface ClonesHotlister {
  hotlistClone(cardNumber: string): Promise<void>;
}

/** The ledger as clearing uses it: postings inside clearing's own transaction. */
export type ClearingLedger = Pick<Ledger, 'postMany'>;

export interface ClearingDeps {
  /** Migrated through 071. */
  readonly db: Database;
  readonly ledger: ClearingLedger;
  readonly tacs: TacVerifier;
  readonly hotlist: ClonesHotlister;
  readonly clock: Clock;
  /** The merchant a terminal's purchases are owed to; undefined for an unknown terminal. */
  readonly merchantOf: (terminalNumber: string) => string | undefined;
  /**
   * IANA zone of the date and time terminals write on cards (their `timeZone`); default UTC.
   * Ledger times and hotlist comparisons convert through it.
   */
  readonly timeZone?: string;
  /** Fee of a merchant without its own (clearing_merchant_fees), basis points 0-10000; default {@link DEFAULT_FEE_BPS}. */
  readonly defaultFeeBps?: number;
  /** Told when listing a flagged card fails (it stays pending and is retried by the next call). */
  readonly onHotlistError?: (err: unknown, cardNumber: string) => void;
}

/** No fee unless one is configured. */
export const DEFAULT_FEE_BPS = 0;
