import type { Database } from 'better-sqlite3';
import { LedgerRepository } from '../../data/ledgerRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import type { BalanceTransfer } from '../cards/card.js';
import type { CardLifecycle } from '../cards/cardLifecycle.js';
import type { Ledger } from './ledger.js';

export interface ReplacementTransferDeps {
  readonly db: Database;
  readonly ledger: Ledger;
  /** Due transfers and card numbers (CardLifecycle). */
  readonly cards: Pick<CardLifecycle, 'balanceTransfersDue' | 'cardNumberOf'>;
  readonly audit: AuditSink;
}

/**
 * - moved: the old card's shadow balance was posted to the new card and the transfer executed;
 * - zero: nothing to move, executed without an entry;
 * - negative: the old card's shadow balance is below zero (more cleared than it held): nothing
 *   moved, the transfer stays scheduled and is reported again each run until someone acts;
 * - waiting: the new card has no card number yet (not personalized): stays scheduled;
 * - gone: another run executed or cancelled it meanwhile.
 */
export type ReplacementTransferOutcome = 'moved' | 'zero' | 'negative' | 'waiting' | 'gone';

export interface ReplacementTransferResult {
  readonly transferId: string;
  readonly fromCardId: string;
  readonly toCardId: string;
  readonly fromCardNumber: string | null;
  readonly toCardNumber: string | null;
  readonly outcome: ReplacementTransferOutcome;
  /** Fen moved (moved), 0 (zero, waiting, gone), or the negative shadow balance (negative). */
  readonly amount: number;
  /** The ledger entry (moved), else null. */
  readonly entryId: number | null;
}

/** Idempotency key of the ledger entry of one replacement transfer. */
export const replacementTransferKey = (transferId: string): string => `transfer:${transferId}`;

const ACTOR = 'system';

function record(audit: AuditSink, at: string, t: BalanceTransfer, amountFen: number, entryId: number | null): void {
  audit.record({
    at,
    actor: ACTOR,
    action: 'card.balance-transferred',
    target: t.id,
    details: { fromCardId: t.fromCardId, toCardId: t.toCardId, amountFen, entryId },
  });
}

/**
 * Replacement cards (issue 6, item 5): for each transfer due at `now`, moves the old card's shadow
 * balance at this moment (its last known balance minus every purchase cleared since) to the new
 * card in one ledger entry keyed by the transfer id, and marks the transfer executed, both in one
 * IMMEDIATE transaction per transfer. Safe to run again and from two processes at once: an
 * executed transfer is no longer due, and the key makes the entry once. A purchase of the old card
 * clearing after this drives its float below zero; clearing reports that.
 * @throws the ledger's and the audit sink's errors, with that transfer's changes rolled back.
 */
export function transferReplacementBalances(deps: ReplacementTransferDeps, now: Date): ReplacementTransferResult[] {
  const repo = new LedgerRepository(deps.db);
  const at = now.toISOString();
  return deps.cards.balanceTransfersDue(now).map((t) =>
    deps.db
      .transaction((): ReplacementTransferResult => {
        const fromCardNumber = deps.cards.cardNumberOf(t.fromCardId);
        const toCardNumber = deps.cards.cardNumberOf(t.toCardId);
        const base = { transferId: t.id, fromCardId: t.fromCardId, toCardId: t.toCardId, fromCardNumber, toCardNumber };
        const key = replacementTransferKey(t.id);
        const done = deps.ledger.entry(key);
        if (done !== undefined) {
          // Posted under this key before (by hand or by a tool that stopped): finish the bookkeeping only.
          if (repo.markTransferExecuted(t.id)) record(deps.audit, at, t, done.amount, done.id);
          return { ...base, outcome: 'moved', amount: done.amount, entryId: done.id };
        }
        // A card never personalized never held a purse.
        const balance = fromCardNumber === null ? 0 : deps.ledger.shadowBalance(fromCardNumber);
        if (balance < 0) return { ...base, outcome: 'negative', amount: balance, entryId: null };
        if (balance > 0 && toCardNumber === null) return { ...base, outcome: 'waiting', amount: 0, entryId: null };
        if (!repo.markTransferExecuted(t.id)) return { ...base, outcome: 'gone', amount: 0, entryId: null };
        let entryId: number | null = null;
        if (balance > 0 && fromCardNumber !== null && toCardNumber !== null) {
          entryId = deps.ledger.transfer({ key, fromCardNumber, toCardNumber, amount: balance, at, ref: t.id }).entryId;
        }
        record(deps.audit, at, t, balance, entryId);
        return { ...base, outcome: balance > 0 ? 'moved' : 'zero', amount: balance, entryId };
      })
      .immediate(),
  );
}
