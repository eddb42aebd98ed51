/**
 * An offline purchase (card interface spec §4-5), as a short story:
 *
 * 1. PSAM: SELECT, read the terminal number (EF 0x16)
 * 2. card: SELECT EP, read EF 0x15 (card number, validity)
 * 3. card: INITIALIZE FOR PURCHASE            → balance, offline counter, key version, random
 * 4. PSAM: MAC1 for purchase                  → TTSN, MAC1
 *    (the caller's `beforeDebit` hook: write the intent durably)
 * 5. card: DEBIT FOR PURCHASE                 → TAC, MAC2     (the money moves here)
 * 6. PSAM: verify MAC2                        → the card is genuine
 *
 * Outcomes (see purseOutcomes.ts): `approved`; `declined` for everything the card refuses before
 * or at the debit (9401 insufficient funds, 6A81 blocked, 6985 over the limit, 9302 MAC1 refused,
 * card removed before the debit, ...); `unknown` when the debit's answer was lost (card removed,
 * memory failure, garbled answer): keep `pending` and run `recoverPurchase`; `suspect` when the
 * card debited but the PSAM found MAC2 wrong or could not check it (keep the record).
 *
 * Throws `CommandParameterError` for an amount outside 1..2^32-1 (nothing sent), the
 * `TransportError` or `CardProtocolError` of a PSAM that fails, or of a card that breaks the
 * protocol before the debit, and what the `beforeDebit` hook throws (in all cases nothing was
 * debited).
 */
import { encodeBcd, formatDateTime, toHex } from '@citycard/protocols';
import type { ApduChannel } from '../channel/apduChannel.js';
import { CardProtocolError, TransportError } from '../errors.js';
import {
  type DebitForPurchaseResult,
  debitForPurchaseCommand,
  initializeForPurchaseCommand,
  psamMac1Command,
  psamVerifyMac2Command,
} from '@citycard/protocols';
import { DECLINE_REASON, type DeclineReason, type PurchaseOutcome, SUSPECT_REASON } from './purseOutcomes.js';
import type { PendingPurchase, PurchaseRecord } from './purseRecords.js';
import {
  DeclineSignal,
  cardNumberBytes,
  cardStep,
  checkTransactionAmount,
  checkValidity,
  declinedOutcome,
  openPsam,
  psamStep,
  selectPurseCard,
} from './purseSteps.js';
import { TransactionTrail } from './purseTrail.js';

export interface PurchaseContext {
  /** The citizen card's slot. */
  readonly card: ApduChannel;
  /** The PSAM's slot. */
  readonly psam: ApduChannel;
  /** Date and time of the transaction (default: the system clock). */
  readonly clock?: (() => Date) | undefined;
  /** IANA zone of the date and time written on the card (default: the process's zone). */
  readonly timeZone?: string | undefined;
  /** Cards not to serve (the terminal's hotlist); default none. */
  readonly isHotlisted?: ((cardNumber: string) => boolean) | undefined;
  /**
   * The PSAM's terminal number, when the terminal keeps its PSAM selected between purchases (a
   * gate opens its SAM slot once with `openPsamSlot`); default: SELECT the PSAM and read EF 0x16
   * in every purchase.
   */
  readonly psamTerminal?: Uint8Array | undefined;
  /**
   * Called after MAC1 and before DEBIT is sent, with the purchase as recovery would need it (its
   * trail so far): the place to write it durably (`RecordStore.writeIntent`). If it throws or
   * rejects, DEBIT is not sent and `purchaseOffline` throws that error: nothing was debited.
   */
  readonly beforeDebit?: ((pending: PendingPurchase) => void | Promise<void>) | undefined;
}

/** SELECT the PSAM and read its terminal number, once per session of the SAM slot. */
export async function openPsamSlot(psam: ApduChannel): Promise<Buffer> {
  const trail = new TransactionTrail({ psam });
  return openPsam(trail);
}

export interface PurchaseRequest {
  /** Fen, 1 to 2^32-1. */
  readonly amount: number;
}

const INITIALIZE_DECLINES = {
  0x9401: DECLINE_REASON.INSUFFICIENT_FUNDS,
  0x6985: DECLINE_REASON.OVER_PURCHASE_LIMIT,
  0x9402: DECLINE_REASON.COUNTER_EXHAUSTED,
  0x9403: DECLINE_REASON.CARD_KEY_NOT_FOUND,
  0x6a81: DECLINE_REASON.CARD_BLOCKED,
  0x9303: DECLINE_REASON.CARD_LOCKED,
} as const;

/** Status words to DEBIT after which the card has changed nothing (spec §4), and what they mean here. */
export const DEBIT_REFUSALS: Readonly<Record<number, DeclineReason>> = {
  0x9302: DECLINE_REASON.MAC1_REJECTED,
  0x6985: DECLINE_REASON.REFUSED_BY_CARD,
  0x6a81: DECLINE_REASON.CARD_BLOCKED,
  0x9303: DECLINE_REASON.CARD_LOCKED,
  0x9403: DECLINE_REASON.CARD_KEY_NOT_FOUND,
  0x6a80: DECLINE_REASON.REFUSED_BY_CARD,
  0x6700: DECLINE_REASON.REFUSED_BY_CARD,
  0x6a86: DECLINE_REASON.REFUSED_BY_CARD,
  0x6d00: DECLINE_REASON.REFUSED_BY_CARD,
  0x6e00: DECLINE_REASON.REFUSED_BY_CARD,
};

/** Run one offline purchase; see the module comment for outcomes and what throws. */
export async function purchaseOffline(ctx: PurchaseContext, request: PurchaseRequest): Promise<PurchaseOutcome> {
  checkTransactionAmount(request.amount);
  const { amount } = request;
  const trail = new TransactionTrail({ card: ctx.card, psam: ctx.psam });
  const { date, time } = formatDateTime((ctx.clock ?? (() => new Date()))(), ctx.timeZone);
  try {
    const terminal = ctx.psamTerminal !== undefined ? Buffer.from(ctx.psamTerminal) : await openPsam(trail);
    const issuer = await selectPurseCard(trail);
    checkValidity(issuer, date);
    if (ctx.isHotlisted?.(issuer.cardNumber) === true) {
      throw new DeclineSignal(DECLINE_REASON.CARD_HOTLISTED, `card ${issuer.cardNumber} is on the hotlist`);
    }
    const init = await cardStep(trail, initializeForPurchaseCommand({ amount, terminal }), INITIALIZE_DECLINES);
    const { ttsn, mac1 } = await psamStep(
      trail,
      psamMac1Command({
        random: init.random,
        offlineCounter: init.offlineCounter,
        amount,
        date: encodeBcd(date),
        time: encodeBcd(time),
        keyVersion: init.keyVersion,
        algorithmId: init.algorithmId,
        cardNumber: cardNumberBytes(issuer.cardNumber),
      }),
      { 0x9403: DECLINE_REASON.PSAM_KEY_NOT_FOUND },
    );
    const pending: PendingPurchase = {
      kind: 'purchase',
      cardNumber: issuer.cardNumber,
      offlineCounter: init.offlineCounter,
      amount,
      terminal: toHex(terminal),
      ttsn,
      date,
      time,
      balanceBefore: init.balance,
      keyVersion: init.keyVersion,
      algorithmId: init.algorithmId,
      trail: [],
    };

    await ctx.beforeDebit?.({ ...pending, trail: trail.entries() });

    let debit: DebitForPurchaseResult;
    try {
      debit = await trail.send('card', debitForPurchaseCommand({ ttsn, date: encodeBcd(date), time: encodeBcd(time), mac1 }));
    } catch (err) {
      const refusal = err instanceof CardProtocolError && err.sw !== undefined ? DEBIT_REFUSALS[err.sw] : undefined;
      if (refusal !== undefined) throw new DeclineSignal(refusal, (err as Error).message, (err as CardProtocolError).sw, { cause: err });
      if (err instanceof TransportError || err instanceof CardProtocolError) {
        return { kind: 'unknown', pending: { ...pending, trail: trail.entries() }, detail: err.message };
      }
      throw err;
    }

    let mac2Verified: boolean | undefined;
    try {
      mac2Verified = await trail.send('psam', psamVerifyMac2Command(debit.mac2));
    } catch (err) {
      // The card has debited: a PSAM fault must not lose the record.
      if (!(err instanceof TransportError || err instanceof CardProtocolError)) throw err;
    }
    const record: PurchaseRecord = {
      ...pending,
      mac2: toHex(debit.mac2),
      tac: toHex(debit.tac),
      mac2Verified: mac2Verified === true,
      recovered: false,
      trail: trail.entries(),
    };
    const newBalance = init.balance - amount;
    if (mac2Verified === true) return { kind: 'approved', record, newBalance };
    const reason = mac2Verified === false ? SUSPECT_REASON.MAC2_INVALID : SUSPECT_REASON.MAC2_UNVERIFIED;
    return { kind: 'suspect', reason, record, newBalance };
  } catch (err) {
    if (err instanceof DeclineSignal) return declinedOutcome(err, trail);
    throw err;
  }
}
