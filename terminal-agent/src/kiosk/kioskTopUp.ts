/**
 * A top-up at the kiosk: an online load (purse/loadOnline.ts) with the load custodian (the HSM as
 * a client of role `load`; a city deployment reaches it through the backend), and, when the
 * answer to CREDIT FOR LOAD is lost, one recovery with the same card (purse/recovery.ts).
 *
 * Ends with the loaded amount and the new balance, or throws `KioskError`:
 * CARD_REMOVED / CARD_BLOCKED / CARD_HOTLISTED / TOPUP_DECLINED (with the purse's decline reason,
 * or NOT_COMMITTED after recovery) when nothing was loaded; TOPUP_UNRESOLVED when recovery could
 * not tell; OFFLINE when the custodian could not be reached (nothing was loaded).
 */
import type { ApduChannel } from '../channel/apduChannel.js';
import { CardProtocolError, TransportError } from '../errors.js';
import type { PurseLoadCustodian } from '../purse/custodianPorts.js';
import { loadOnline } from '../purse/loadOnline.js';
import { DECLINE_REASON, type Declined, type LoadOutcome } from '../purse/purseOutcomes.js';
import type { LoadRecord, PendingLoad } from '../purse/purseRecords.js';
import { recoverLoad } from '../purse/recovery.js';
import { KioskError } from './kioskErrors.js';
import { type KioskLogger, maskCardNumberOf } from './kioskLogger.js';

/** Where the kiosk keeps its load records (a `RecordStore` fits). */
export interface LoadRecordSink {
  put(record: LoadRecord): unknown;
}

export interface TopUpContext {
  readonly card: ApduChannel;
  readonly custodian: PurseLoadCustodian;
  /** The kiosk's terminal number, 12 hex digits. */
  readonly terminal: string;
  readonly clock: () => Date;
  readonly timeZone?: string | undefined;
  readonly isHotlisted?: ((cardNumber: string) => boolean) | undefined;
  readonly records?: LoadRecordSink | undefined;
  readonly logger?: KioskLogger | undefined;
}

export interface TopUpResult {
  /** Fen. */
  readonly amount: number;
  readonly balanceBefore: number;
  readonly balanceAfter: number;
  /** False when the card credited but the custodian could not confirm its TAC (the record is kept for clearing). */
  readonly confirmed: boolean;
}

/** Load `amount` fen; see the module comment. */
export async function topUp(ctx: TopUpContext, amount: number): Promise<TopUpResult> {
  let outcome: LoadOutcome;
  try {
    outcome = await loadOnline(
      { card: ctx.card, custodian: ctx.custodian, terminal: ctx.terminal, clock: ctx.clock, timeZone: ctx.timeZone, isHotlisted: ctx.isHotlisted },
      { amount },
    );
  } catch (err) {
    if (err instanceof TransportError || err instanceof CardProtocolError) throw err;
    // Anything else came from the custodian before the credit: nothing was loaded.
    throw new KioskError('OFFLINE', 'the load service cannot be reached', {}, { cause: err });
  }
  switch (outcome.kind) {
    case 'approved':
    case 'suspect':
      keep(ctx, outcome.record);
      return { amount, balanceBefore: outcome.record.balanceBefore, balanceAfter: outcome.newBalance, confirmed: outcome.kind === 'approved' };
    case 'declined':
      throw declinedError(outcome);
    case 'unknown':
      return recover(ctx, outcome.pending);
  }
}

async function recover(ctx: TopUpContext, pending: PendingLoad): Promise<TopUpResult> {
  const facts = { card: maskCardNumberOf(pending.cardNumber), onlineCounter: pending.onlineCounter, amount: pending.amount, date: pending.date, time: pending.time };
  let outcome;
  try {
    outcome = await recoverLoad({ card: ctx.card, custodian: ctx.custodian, reconnect: true }, pending);
  } catch (err) {
    ctx.logger?.error({ ...facts, err }, 'top-up answer lost and recovery failed: staff must check this load');
    throw new KioskError('TOPUP_UNRESOLVED', 'the top-up could not be confirmed', {}, { cause: err });
  }
  switch (outcome.kind) {
    case 'recovered':
      keep(ctx, outcome.record);
      return {
        amount: pending.amount,
        balanceBefore: pending.balanceBefore,
        balanceAfter: outcome.newBalance ?? pending.balanceBefore + pending.amount,
        confirmed: outcome.record.tacVerified,
      };
    case 'notCommitted':
      throw new KioskError('TOPUP_DECLINED', 'nothing was loaded', { reason: 'NOT_COMMITTED' });
    default:
      ctx.logger?.error({ ...facts, outcome: outcome.kind }, 'top-up answer lost and recovery could not tell: staff must check this load');
      throw new KioskError('TOPUP_UNRESOLVED', 'the top-up could not be confirmed');
  }
}

function keep(ctx: TopUpContext, record: LoadRecord): void {
  try {
    ctx.records?.put(record);
  } catch (err) {
    // The card has the money: the citizen is told so; the lost record is for staff to restore.
    ctx.logger?.error({ card: maskCardNumberOf(record.cardNumber), onlineCounter: record.onlineCounter, err }, 'load record not stored');
  }
}

function declinedError(declined: Declined): KioskError {
  switch (declined.reason) {
    case DECLINE_REASON.CARD_REMOVED:
      return new KioskError('CARD_REMOVED', 'the card was taken out before anything was loaded');
    case DECLINE_REASON.CARD_BLOCKED:
    case DECLINE_REASON.CARD_LOCKED:
      return new KioskError('CARD_BLOCKED', 'the purse is blocked', { reason: declined.reason });
    case DECLINE_REASON.CARD_HOTLISTED:
      return new KioskError('CARD_HOTLISTED', 'the card is on the hotlist', { reason: declined.reason });
    default:
      return new KioskError('TOPUP_DECLINED', 'nothing was loaded', { reason: declined.reason });
  }
}
