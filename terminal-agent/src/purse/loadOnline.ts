/**
 * An online load (card interface spec §4), as a short story:
 *
 * 1. card: SELECT EP, read EF 0x15 (card number, validity)
 * 2. card: INITIALIZE FOR LOAD         → balance, online counter, key version, random, MAC1
 * 3. HSM:  check the card's MAC1, issue MAC2 over the host date and time
 * 4. card: CREDIT FOR LOAD             → TAC       (the money moves here)
 * 5. HSM:  check the TAC               → a load record
 *
 * The custodian needs role `load`. Outcomes (see purseOutcomes.ts): `approved`; `declined` for
 * what the card or HSM refuses before or at the credit (6985 over the max balance, 6A81 blocked,
 * a MAC1 the HSM rejects, 9302 MAC2 refused, card removed before the credit, ...); `unknown` when
 * the credit's answer was lost: keep `pending` and run `recoverLoad`; `suspect` when the card
 * credited but the HSM rejected the TAC or could not check it (keep the record).
 *
 * Throws `CommandParameterError` for an amount outside 1..2^32-1 or a bad terminal number
 * (nothing sent), what the custodian throws before the credit (HSM unreachable: nothing was
 * credited), and `CardProtocolError` for a card that breaks the protocol before the credit.
 */
import { encodeBcd, formatDateTime, toHex } from '@citycard/protocols';
import type { ApduChannel } from '../channel/apduChannel.js';
import { CardProtocolError, TransportError } from '../errors.js';
import type { PurseLoadCustodian } from './custodianPorts.js';
import { creditForLoadCommand, initializeForLoadCommand } from '@citycard/protocols';
import { DECLINE_REASON, type DeclineReason, type LoadOutcome, SUSPECT_REASON } from './purseOutcomes.js';
import type { LoadRecord, PendingLoad } from './purseRecords.js';
import {
  DeclineSignal,
  cardNumberBytes,
  cardStep,
  checkTransactionAmount,
  checkValidity,
  declinedOutcome,
  selectPurseCard,
  terminalBytes,
} from './purseSteps.js';
import { TransactionTrail } from './purseTrail.js';
import { loadTacRequestOf } from './tacRequests.js';

export interface LoadContext {
  /** The citizen card's slot. */
  readonly card: ApduChannel;
  /** The HSM, as a client of role `load`. */
  readonly custodian: PurseLoadCustodian;
  /** This load terminal's number: 6 bytes or 12 hex digits. */
  readonly terminal: Uint8Array | string;
  /** Host date and time (default: the system clock). */
  readonly clock?: (() => Date) | undefined;
  /** IANA zone of the host date and time (default: the process's zone). */
  readonly timeZone?: string | undefined;
  /** Cards not to serve (the terminal's hotlist); default none. */
  readonly isHotlisted?: ((cardNumber: string) => boolean) | undefined;
}

export interface LoadRequest {
  /** Fen, 1 to 2^32-1. */
  readonly amount: number;
}

const INITIALIZE_DECLINES = {
  0x6985: DECLINE_REASON.OVER_MAX_BALANCE,
  0x9402: DECLINE_REASON.COUNTER_EXHAUSTED,
  0x9403: DECLINE_REASON.CARD_KEY_NOT_FOUND,
  0x6a81: DECLINE_REASON.CARD_BLOCKED,
  0x9303: DECLINE_REASON.CARD_LOCKED,
} as const;

/** Status words to CREDIT after which the card has changed nothing (spec §4), and what they mean here. */
export const CREDIT_REFUSALS: Readonly<Record<number, DeclineReason>> = {
  0x9302: DECLINE_REASON.MAC2_REJECTED,
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

/** Run one online load; see the module comment for outcomes and what throws. */
export async function loadOnline(ctx: LoadContext, request: LoadRequest): Promise<LoadOutcome> {
  checkTransactionAmount(request.amount);
  const { amount } = request;
  const terminal = terminalBytes(ctx.terminal);
  const trail = new TransactionTrail({ card: ctx.card });
  const { date, time } = formatDateTime((ctx.clock ?? (() => new Date()))(), ctx.timeZone);
  try {
    const issuer = await selectPurseCard(trail);
    checkValidity(issuer, date);
    if (ctx.isHotlisted?.(issuer.cardNumber) === true) {
      throw new DeclineSignal(DECLINE_REASON.CARD_HOTLISTED, `card ${issuer.cardNumber} is on the hotlist`);
    }
    const init = await cardStep(trail, initializeForLoadCommand({ amount, terminal }), INITIALIZE_DECLINES);
    const authorization = await ctx.custodian.verifyLoadMac1AndIssueMac2({
      cardNumber: cardNumberBytes(issuer.cardNumber),
      keyVersion: init.keyVersion,
      random: init.random,
      onlineCounter: init.onlineCounter,
      balance: init.balance,
      amount,
      terminal,
      date: encodeBcd(date),
      time: encodeBcd(time),
      mac1: init.mac1,
    });
    if (!authorization.ok) throw new DeclineSignal(DECLINE_REASON.CARD_MAC1_REJECTED, 'the HSM rejected the card MAC1');
    const pending: PendingLoad = {
      kind: 'load',
      cardNumber: issuer.cardNumber,
      onlineCounter: init.onlineCounter,
      amount,
      terminal: toHex(terminal),
      date,
      time,
      balanceBefore: init.balance,
      keyVersion: init.keyVersion,
      algorithmId: init.algorithmId,
      mac2: toHex(authorization.mac2),
      trail: [],
    };

    let tac: Buffer;
    try {
      tac = await trail.send('card', creditForLoadCommand({ date: encodeBcd(date), time: encodeBcd(time), mac2: authorization.mac2 }));
    } catch (err) {
      const refusal = err instanceof CardProtocolError && err.sw !== undefined ? CREDIT_REFUSALS[err.sw] : undefined;
      if (refusal !== undefined) throw new DeclineSignal(refusal, (err as Error).message, (err as CardProtocolError).sw, { cause: err });
      if (err instanceof TransportError || err instanceof CardProtocolError) {
        return { kind: 'unknown', pending: { ...pending, trail: trail.entries() }, detail: err.message };
      }
      throw err;
    }

    const unchecked = { ...pending, tac: toHex(tac), recovered: false, trail: trail.entries() };
    const verdict = await checkLoadTac(ctx.custodian, unchecked);
    const record: LoadRecord = { ...unchecked, tacVerified: verdict === true };
    const newBalance = init.balance + amount;
    if (verdict === true) return { kind: 'approved', record, newBalance };
    const reason = verdict === false ? SUSPECT_REASON.TAC_INVALID : SUSPECT_REASON.TAC_UNVERIFIED;
    return { kind: 'suspect', reason, record, newBalance };
  } catch (err) {
    if (err instanceof DeclineSignal) return declinedOutcome(err, trail);
    throw err;
  }
}

/** The HSM's verdict on a load TAC, or undefined when it could not give one (the card has credited: keep going). */
export async function checkLoadTac(custodian: PurseLoadCustodian, record: Omit<LoadRecord, 'tacVerified'>): Promise<boolean | undefined> {
  try {
    return await custodian.verifyLoadTac(loadTacRequestOf(record));
  } catch {
    return undefined;
  }
}
