/**
 * Steps the purse flows share: opening the PSAM, selecting the EP and reading its card number,
 * the card's validity, turning status words into decline reasons, and searching the card's log.
 * Internal to the purse flows.
 */
import { type CardCommand, CommandParameterError, encodeBcd, fromHex } from '@citycard/protocols';
import { CardProtocolError, TransportError } from '../errors.js';
import {
  type EpIssuerData,
  type EpLogRecord,
  EP_LOG_RECORDS,
  readEpIssuerDataCommand,
  readEpLogRecordCommand,
  readPsamTerminalNumberCommand,
  selectEpCommand,
  selectPsamCommand,
} from '@citycard/protocols';
import { DECLINE_REASON, type Declined, type DeclineReason } from './purseOutcomes.js';
import type { TransactionTrail } from './purseTrail.js';

/** Thrown inside a flow to end it with `declined`; never leaves the flow. */
export class DeclineSignal extends Error {
  override readonly name: string = 'DeclineSignal';
  readonly reason: DeclineReason;
  readonly sw: number | undefined;
  constructor(reason: DeclineReason, detail: string, sw?: number, options?: { cause?: unknown }) {
    super(detail, options);
    this.reason = reason;
    this.sw = sw;
  }
}

/** The `declined` outcome of a signal. */
export function declinedOutcome(signal: DeclineSignal, trail: TransactionTrail): Declined {
  return { kind: 'declined', reason: signal.reason, sw: signal.sw, detail: signal.message, trail: trail.entries() };
}

/** Status words a card step turns into decline reasons. */
export type DeclineTable = Readonly<Partial<Record<number, DeclineReason>>>;

/**
 * Send a card command before anything is debited or credited: a status word listed in `declines`
 * and any transport failure (the card left) become a `DeclineSignal`; other errors pass through.
 */
export async function cardStep<T>(trail: TransactionTrail, command: CardCommand<T>, declines: DeclineTable = {}): Promise<T> {
  try {
    return await trail.send('card', command);
  } catch (err) {
    if (err instanceof TransportError) {
      throw new DeclineSignal(DECLINE_REASON.CARD_REMOVED, `${command.name}: ${err.message}`, undefined, { cause: err });
    }
    const reason = err instanceof CardProtocolError && err.sw !== undefined ? declines[err.sw] : undefined;
    if (reason !== undefined) throw new DeclineSignal(reason, (err as Error).message, (err as CardProtocolError).sw, { cause: err });
    throw err;
  }
}

/** Send a PSAM command: a status word listed in `declines` becomes a `DeclineSignal`; other errors pass through. */
export async function psamStep<T>(trail: TransactionTrail, command: CardCommand<T>, declines: DeclineTable = {}): Promise<T> {
  try {
    return await trail.send('psam', command);
  } catch (err) {
    const reason = err instanceof CardProtocolError && err.sw !== undefined ? declines[err.sw] : undefined;
    if (reason !== undefined) {
      throw new DeclineSignal(reason, `PSAM: ${(err as Error).message}`, (err as CardProtocolError).sw, { cause: err });
    }
    throw err;
  }
}

/** SELECT the PSAM application and read its terminal number (6 bytes). Errors pass through. */
export async function openPsam(trail: TransactionTrail): Promise<Buffer> {
  await trail.send('psam', selectPsamCommand());
  return trail.send('psam', readPsamTerminalNumberCommand());
}

/**
 * SELECT the EP and read EF 0x15. Declines NOT_A_PURSE (6A82) and CARD_REMOVED; throws
 * `CardProtocolError` when the FCI's `9F0C` names another card number than EF 0x15.
 */
export async function selectPurseCard(trail: TransactionTrail): Promise<EpIssuerData> {
  const selection = await cardStep(trail, selectEpCommand(), { 0x6a82: DECLINE_REASON.NOT_A_PURSE });
  const issuer = await cardStep(trail, readEpIssuerDataCommand());
  if (selection.issuerData !== undefined && selection.issuerData.cardNumber !== issuer.cardNumber) {
    throw new CardProtocolError('the FCI and EF 15 name different card numbers');
  }
  return issuer;
}

/** Declines CARD_NOT_YET_VALID or CARD_EXPIRED when `date` (`YYYYMMDD`) is outside the card's validity. */
export function checkValidity(issuer: EpIssuerData, date: string): void {
  // YYYYMMDD strings order as the dates do.
  if (date < issuer.effectiveDate) {
    throw new DeclineSignal(DECLINE_REASON.CARD_NOT_YET_VALID, `the card is valid from ${issuer.effectiveDate}`);
  }
  if (date > issuer.expiryDate) throw new DeclineSignal(DECLINE_REASON.CARD_EXPIRED, `the card expired on ${issuer.expiryDate}`);
}

/** Throws `CommandParameterError` unless `amount` is an integer 1 to 2^32-1. */
export function checkTransactionAmount(amount: number): void {
  if (!Number.isInteger(amount) || amount < 1 || amount > 0xffffffff) {
    throw new CommandParameterError('amount', `amount must be an integer 1 to 4294967295, got ${amount}`);
  }
}

/** A terminal number as 6 bytes, from bytes or 12 hex digits. Throws `CommandParameterError` otherwise. */
export function terminalBytes(terminal: Uint8Array | string): Buffer {
  const bytes = typeof terminal === 'string' && /^[0-9A-Fa-f]{12}$/.test(terminal) ? fromHex(terminal) : terminal;
  if (typeof bytes === 'string' || bytes.length !== 6) {
    throw new CommandParameterError('terminal', 'terminal number must be 6 bytes or 12 hex digits');
  }
  return Buffer.from(bytes);
}

/** A 16-digit card number as its 8 BCD bytes. */
export function cardNumberBytes(cardNumber: string): Buffer {
  return encodeBcd(cardNumber);
}

/**
 * The log record of the transaction of `type` whose counter before it was `counter`, searching
 * records 1 (newest) to 10; undefined when it is not there or the log cannot be read.
 */
export async function findLogRecord(trail: TransactionTrail, type: number, counter: number): Promise<EpLogRecord | undefined> {
  for (let n = 1; n <= EP_LOG_RECORDS; n++) {
    let record: EpLogRecord | undefined;
    try {
      record = await trail.send('card', readEpLogRecordCommand(n));
    } catch (err) {
      // The log is corroboration only: a card that will not show it leaves the proof to decide.
      if (err instanceof CardProtocolError) return undefined;
      throw err;
    }
    if (record === undefined) return undefined;
    if (record.type === type && record.counter === counter) return record;
  }
  return undefined;
}
