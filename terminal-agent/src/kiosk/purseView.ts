/**
 * What the citizen sees of their purse, read from the card alone (no PIN, no network):
 *
 * 1. SELECT EP                        (6A82: the card has no purse)
 * 2. READ BINARY EF 0x15              card number, validity
 * 3. GET BALANCE
 * 4. READ RECORD EF 0x18, 1 .. 10     newest first, until 6A83 (not written yet)
 *
 * Throws what the channel throws (`TransportError` when the card left, `CardProtocolError`), and
 * `KioskError` CARD_UNREADABLE for a card without a purse.
 */
import {
  EP_LOAD,
  EP_LOG_RECORDS,
  EP_PURCHASE,
  type EpLogRecord,
  getBalanceCommand,
  readEpIssuerDataCommand,
  readEpLogRecordCommand,
  selectEpCommand,
} from '@citycard/protocols';
import type { ApduChannel } from '../channel/apduChannel.js';
import { CardProtocolError } from '../errors.js';
import { KioskError } from './kioskErrors.js';

export interface TransactionView {
  readonly kind: 'load' | 'purchase' | 'other';
  /** Fen. */
  readonly amount: number;
  /** Terminal number, 12 hex digits. */
  readonly terminal: string;
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** `hh:mm:ss`. */
  readonly time: string;
  /** The card's online (load) or offline (purchase) counter before the transaction. */
  readonly counter: number;
}

export interface PurseView {
  readonly cardNumber: string;
  /** Fen. */
  readonly balance: number;
  /** `YYYY-MM-DD`. */
  readonly expiryDate: string;
  /** Newest first, at most 10 (what the card's log holds). */
  readonly transactions: readonly TransactionView[];
}

/** Read the purse's balance and log; see the module comment. */
export async function readPurse(channel: ApduChannel): Promise<PurseView> {
  try {
    await channel.send(selectEpCommand());
  } catch (err) {
    if (err instanceof CardProtocolError && err.sw === 0x6a82) {
      throw new KioskError('CARD_UNREADABLE', 'this card has no purse', { reason: 'NOT_A_PURSE' }, { cause: err });
    }
    throw err;
  }
  const issuer = await channel.send(readEpIssuerDataCommand());
  const balance = await channel.send(getBalanceCommand());
  const transactions: TransactionView[] = [];
  for (let n = 1; n <= EP_LOG_RECORDS; n++) {
    const record = await channel.send(readEpLogRecordCommand(n));
    if (record === undefined) break;
    transactions.push(transactionView(record));
  }
  return { cardNumber: issuer.cardNumber, balance, expiryDate: isoDate(issuer.expiryDate), transactions };
}

export function transactionView(record: EpLogRecord): TransactionView {
  const kind = record.type === EP_LOAD ? 'load' : record.type === EP_PURCHASE ? 'purchase' : 'other';
  const t = record.time;
  return {
    kind,
    amount: record.amount,
    terminal: record.terminal,
    date: isoDate(record.date),
    time: `${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}`,
    counter: record.counter,
  };
}

/** `YYYYMMDD` as `YYYY-MM-DD`. */
export function isoDate(yyyymmdd: string): string {
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}
