/**
 * One tap of a card at a gate, bus or POS, as a short story:
 *
 * 1. store: pending intents older than the recovery window (any card) become `unrecoverable`
 * 2. card: SELECT EP, read EF 0x15                      → card number
 * 3. recover this card's pending intents (settleIntents.ts): a debit found there is this tap's
 *    passage → `recovered`, nothing more is debited
 * 4. the card's validity; the fare (a zoned fare reads the card's log, EF 0x18)
 * 5. risk policy: refused → `declined` (blocking the purse first when it asks to)
 * 6. fare 0 → GET BALANCE → `approved` with nothing debited
 * 7. purchaseOffline, whose `beforeDebit` writes the intent durably before DEBIT; then the record
 *    is stored and the intent resolved in one transaction → `approved` or `suspect`. A debit whose
 *    answer was lost leaves the intent pending → `tapAgain`; the next tap of the card recovers it.
 *
 * A power cut at any instant leaves either no debit, or a stored record, or a pending intent that
 * step 3 settles with the card's own proof: a payment is never lost or counted twice.
 *
 * The record's APDU trail starts with this tap's own reads (steps 2 and 4), then the purchase's.
 */
import { type EpIssuerData, formatDateTime, getBalanceCommand } from '@citycard/protocols';
import { CardProtocolError, TransportError } from '../errors.js';
import { blockHotlistedCard } from '../purse/blockHotlistedCard.js';
import { purchaseOffline } from '../purse/purchaseOffline.js';
import { DECLINE_REASON } from '../purse/purseOutcomes.js';
import type { PurchaseRecord } from '../purse/purseRecords.js';
import { DeclineSignal, checkValidity, selectPurseCard } from '../purse/purseSteps.js';
import { type PurseTrailEntry, TransactionTrail } from '../purse/purseTrail.js';
import { type FareDecision, type FareRule, checkFareRule, decideFare } from './fareRule.js';
import { cardPurchaseLog } from './purchaseLog.js';
import { WINDOW_PASSED_DETAIL, settleIntents } from './settleIntents.js';
import { type TapContext, recoveryWindowOf } from './tapContext.js';
import type { TapOutcome } from './tapOutcome.js';
import type { TapRiskRefusal } from './tapRisk.js';

/**
 * Run one tap of the card in `ctx.card` under `fare`; see the module comment and tapOutcome.ts.
 * Throws `FareRuleError` for a malformed fare and `RangeError` for a bad recovery window (nothing
 * sent), the `CardProtocolError` of a card that breaks the protocol, the `TransportError` or
 * `CardProtocolError` of a failing PSAM, and what the store throws. Whatever it throws, a debit
 * that may have happened is covered by a pending intent.
 */
export async function processTap(ctx: TapContext, fare: FareRule): Promise<TapOutcome> {
  checkFareRule(fare);
  const now = ctx.clock();
  const windowMs = recoveryWindowOf(ctx);
  ctx.store.expireIntents(new Date(now.getTime() - windowMs), WINDOW_PASSED_DETAIL, now);
  const { date, time } = formatDateTime(now, ctx.timeZone);
  const trail = new TransactionTrail({ card: ctx.card });

  let issuer: EpIssuerData;
  try {
    issuer = await selectPurseCard(trail);
  } catch (err) {
    return declineOrThrow(err, undefined);
  }
  const { cardNumber } = issuer;

  const settled = await settleIntents({ ...ctx, clock: () => now }, cardNumber);
  if (settled.interrupted !== undefined) return tapAgain(cardNumber, false, settled.interrupted);
  const earlier = settled.recovered.at(-1);
  if (earlier !== undefined) return { kind: 'recovered', cardNumber, record: earlier.record, balanceAfter: earlier.balanceAfter };

  let decision: FareDecision;
  try {
    checkValidity(issuer, date);
    decision = await decideFare(fare, cardPurchaseLog(trail), date, time);
  } catch (err) {
    return declineOrThrow(err, cardNumber);
  }

  const verdict = ctx.risk?.check(cardNumber, decision.amount, now) ?? { allow: true };
  if (!verdict.allow) return declineForRisk(ctx, cardNumber, verdict.reason, verdict.blockCard);

  if (decision.amount === 0) {
    let balanceAfter: number;
    try {
      balanceAfter = await trail.send('card', getBalanceCommand());
    } catch (err) {
      return declineOrThrow(err, cardNumber);
    }
    return { kind: 'approved', cardNumber, amount: 0, balanceAfter, record: undefined, journey: decision.journey };
  }
  return purchase(ctx, now, trail.entries(), cardNumber, decision);
}

async function purchase(
  ctx: TapContext,
  now: Date,
  prelude: readonly PurseTrailEntry[],
  cardNumber: string,
  decision: FareDecision,
): Promise<TapOutcome> {
  let intentId: number | undefined;
  const outcome = await purchaseOffline(
    {
      card: ctx.card,
      psam: ctx.psam,
      clock: () => now,
      timeZone: ctx.timeZone,
      psamTerminal: ctx.psamTerminal,
      beforeDebit: (pending) => {
        intentId = ctx.store.writeIntent({ ...pending, trail: joinTrails(prelude, pending.trail) }, now);
      },
    },
    { amount: decision.amount },
  );
  switch (outcome.kind) {
    case 'approved':
    case 'suspect': {
      // purchaseOffline only debits after beforeDebit returned, so the intent exists.
      if (intentId === undefined) throw new Error('a debit without an intent: beforeDebit was not called');
      const record: PurchaseRecord = { ...outcome.record, trail: joinTrails(prelude, outcome.record.trail) };
      ctx.store.completeIntent(intentId, record, now);
      const paid = { cardNumber, amount: decision.amount, balanceAfter: outcome.newBalance, record, journey: decision.journey };
      return outcome.kind === 'approved' ? { kind: 'approved', ...paid } : { kind: 'suspect', reason: outcome.reason, ...paid };
    }
    case 'declined':
      // A refused DEBIT changed nothing on the card.
      if (intentId !== undefined) ctx.store.resolveIntent(intentId, 'notCommitted', outcome.detail, now);
      if (outcome.reason === DECLINE_REASON.CARD_REMOVED) return tapAgain(cardNumber, false, outcome.detail);
      return { kind: 'declined', cardNumber, reason: outcome.reason, detail: outcome.detail };
    case 'unknown':
      return tapAgain(cardNumber, true, outcome.detail);
  }
}

async function declineForRisk(ctx: TapContext, cardNumber: string, reason: TapRiskRefusal, blockCard: boolean): Promise<TapOutcome> {
  const detail = `risk policy: ${reason}`;
  if (!blockCard) return { kind: 'declined', cardNumber, reason, detail };
  try {
    const blocking = await blockHotlistedCard({ card: ctx.card, psam: ctx.psam }, cardNumber);
    const blocked = blocking.kind === 'blocked';
    return { kind: 'declined', cardNumber, reason, blocked, detail: blocked ? `${detail}; purse blocked` : `${detail}; blocking ${blocking.kind}` };
  } catch (err) {
    // Declining does not depend on the block: the card left or failed, it is declined anyway.
    if (err instanceof TransportError || err instanceof CardProtocolError) {
      return { kind: 'declined', cardNumber, reason, blocked: false, detail: `${detail}; blocking failed: ${err.message}` };
    }
    throw err;
  }
}

/** A decline signal or a card that left, as an outcome; anything else is thrown. */
function declineOrThrow(err: unknown, cardNumber: string | undefined): TapOutcome {
  if (err instanceof DeclineSignal) {
    if (err.reason === DECLINE_REASON.CARD_REMOVED) return tapAgain(cardNumber, false, err.message);
    return { kind: 'declined', cardNumber, reason: err.reason, detail: err.message };
  }
  if (err instanceof TransportError) return tapAgain(cardNumber, false, err.message);
  throw err;
}

function tapAgain(cardNumber: string | undefined, answerLost: boolean, detail: string): TapOutcome {
  return { kind: 'tapAgain', cardNumber, answerLost, detail };
}

/** One trail from two parts, numbered again from 0. */
function joinTrails(first: readonly PurseTrailEntry[], second: readonly PurseTrailEntry[]): PurseTrailEntry[] {
  return [...first, ...second].map((entry, seq) => ({ ...entry, seq }));
}
