/**
 * Settling the pending purchase intents of the card in the slot: each one written within the
 * recovery window is recovered (card interface spec §6) and resolved with what the card says;
 * older ones are resolved `unrecoverable`. A recovered debit's record is stored in the same
 * transaction that resolves its intent.
 */
import { TransportError } from '../errors.js';
import type { PurchaseRecord } from '../purse/purseRecords.js';
import { recoverPurchase } from '../purse/recovery.js';
import { type TapContext, recoveryWindowOf } from './tapContext.js';

export interface RecoveredIntent {
  readonly intentId: number;
  /** The stored record, with the card's proof. */
  readonly record: PurchaseRecord;
  /** The card's balance right after that purchase, when recovery could read it. */
  readonly balanceAfter: number | undefined;
}

export interface IntentSettlement {
  /** Intents the card did debit, oldest first; their records are stored. */
  readonly recovered: readonly RecoveredIntent[];
  /** Ids of intents the card never debited. */
  readonly notCommitted: readonly number[];
  /** Ids of intents resolved `unrecoverable`: past the window, or the card no longer tells. */
  readonly unrecoverable: readonly number[];
  /** Why settling stopped early (the card left, another card answered); the rest stay pending. */
  readonly interrupted: string | undefined;
}

/** `Window passed` detail of intents resolved unrecoverable here. */
export const WINDOW_PASSED_DETAIL = 'the card was not presented again within the recovery window';

/**
 * Settle the pending intents of card `cardNumber`, which is in `ctx.card` and powered on. Throws
 * `RangeError` for a bad `recoveryWindowMs`, the `CardProtocolError` of a card that breaks the
 * protocol (that intent stays pending), and what the store throws.
 */
export async function settleIntents(
  ctx: Pick<TapContext, 'card' | 'store' | 'clock' | 'recoveryWindowMs'>,
  cardNumber: string,
): Promise<IntentSettlement> {
  const now = ctx.clock();
  const oldest = now.getTime() - recoveryWindowOf(ctx);
  const recovered: RecoveredIntent[] = [];
  const notCommitted: number[] = [];
  const unrecoverable: number[] = [];
  const settled = (interrupted?: string): IntentSettlement => ({ recovered, notCommitted, unrecoverable, interrupted });

  for (const intent of ctx.store.pendingIntents(cardNumber)) {
    if (intent.writtenAt.getTime() < oldest) {
      ctx.store.resolveIntent(intent.id, 'unrecoverable', WINDOW_PASSED_DETAIL, now);
      unrecoverable.push(intent.id);
      continue;
    }
    let outcome: Awaited<ReturnType<typeof recoverPurchase>>;
    try {
      outcome = await recoverPurchase({ card: ctx.card, reconnect: false }, intent.pending);
    } catch (err) {
      if (err instanceof TransportError) return settled(`the card left during recovery: ${err.message}`);
      throw err;
    }
    switch (outcome.kind) {
      case 'recovered':
        ctx.store.completeIntent(intent.id, outcome.record, now);
        recovered.push({ intentId: intent.id, record: outcome.record, balanceAfter: outcome.newBalance });
        break;
      case 'notCommitted':
        ctx.store.resolveIntent(intent.id, 'notCommitted', outcome.detail, now);
        notCommitted.push(intent.id);
        break;
      case 'unresolved':
        ctx.store.resolveIntent(intent.id, 'unrecoverable', outcome.detail, now);
        unrecoverable.push(intent.id);
        break;
      case 'wrongCard':
        return settled(`card ${outcome.presented || '(no purse)'} answered instead of ${outcome.expected}`);
    }
  }
  return settled();
}
