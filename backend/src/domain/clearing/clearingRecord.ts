/**
 * An inbox row read for clearing: the natural keys from the row's columns, the rest from its
 * record JSON (terminal-agent/src/purse/purseRecords.ts shape, validated at upload). Pure.
 */
import type { InboxRecord } from '../../data/uploadInboxRepository.js';

export interface ClearingRecord {
  readonly row: InboxRecord;
  /** `YYYYMMDD` and `hhmmss` the card's TAC covers, in the terminals' time zone. */
  readonly date: string;
  readonly time: string;
  /** `YYYYMMDDhhmmss`: orders records of one card by time when balances cannot. */
  readonly txTime: string;
  readonly balanceBefore: number;
  readonly keyVersion: number;
  /** 8 upper-case hex digits. */
  readonly tac: string;
  /** Loads: whether the HSM verified the TAC when the load was made online. */
  readonly tacVerifiedOnline: boolean;
  /**
   * The TAC-covered fields and the card, as one string: two rows with equal identities are the
   * same card transaction, whatever else (trail, recovery flags, an uncovered counter) differs.
   */
  readonly identity: string;
}

/** A row whose record cannot be read or checked: clearing reports it as BAD_TAC. */
export interface UnreadableRecord {
  readonly row: InboxRecord;
  readonly problem: string;
}

const DATE = /^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$/;
const TIME = /^([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$/;
const TAC = /^[0-9A-F]{8}$/;
const UINT32_MAX = 0xffff_ffff;

const isUint = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

const TRAIL_KEY = ',"trail":';

/**
 * The record's fields before its APDU trail. The inbox holds canonical JSON (keys sorted), where
 * every field clearing reads sorts before `trail`, the bulk of the text; so only that prefix is
 * parsed. Any other shape is parsed whole.
 */
function parseRecord(text: string): unknown {
  const cut = text.indexOf(TRAIL_KEY);
  if (cut > 0 && text.charCodeAt(0) === 0x7b) {
    try {
      const head = JSON.parse(`${text.slice(0, cut)}}`) as Record<string, unknown>;
      if ('tac' in head && 'time' in head) return head;
    } catch {
      // Not the canonical shape after all: the whole text decides.
    }
  }
  return JSON.parse(text);
}

/** Reads one row; never throws. */
export function readClearingRecord(row: InboxRecord): ClearingRecord | UnreadableRecord {
  let json: Record<string, unknown>;
  try {
    const parsed = parseRecord(row.record);
    if (typeof parsed !== 'object' || parsed === null) return { row, problem: 'record is not an object' };
    json = parsed as Record<string, unknown>;
  } catch (err) {
    return { row, problem: `record is not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const { date, time, balanceBefore, keyVersion, tac, tacVerified } = json;
  if (typeof date !== 'string' || !DATE.test(date)) return { row, problem: 'date is not YYYYMMDD' };
  if (typeof time !== 'string' || !TIME.test(time)) return { row, problem: 'time is not hhmmss' };
  if (!isUint(balanceBefore, UINT32_MAX)) return { row, problem: 'balanceBefore is not 0 to 2^32-1' };
  if (!isUint(keyVersion, 0xff) || keyVersion === 0) return { row, problem: 'keyVersion is not 1 to 255' };
  if (typeof tac !== 'string' || !TAC.test(tac)) return { row, problem: 'tac is not 4 bytes of upper-case hex' };
  if (!/^[0-9]{16}$/.test(row.cardNumber) || !/^[0-9]{12}$/.test(row.terminalNumber)) return { row, problem: 'card or terminal number malformed' };
  let identity: string;
  if (row.kind === 'purchase') {
    if (row.ttsn === null) return { row, problem: 'purchase without TTSN' };
    identity = `P|${row.cardNumber}|${keyVersion}|${row.amount}|${row.terminalNumber}|${row.ttsn}|${date}${time}|${tac}`;
  } else {
    const newBalance = balanceBefore + row.amount;
    if (newBalance > UINT32_MAX) return { row, problem: 'balance after the load exceeds 2^32-1' };
    identity = `L|${row.cardNumber}|${keyVersion}|${row.amount}|${row.terminalNumber}|${row.counter}|${newBalance}|${date}${time}|${tac}`;
  }
  return {
    row,
    date,
    time,
    txTime: date + time,
    balanceBefore,
    keyVersion,
    tac,
    tacVerifiedOnline: tacVerified === true,
    identity,
  };
}

export function isReadable(r: ClearingRecord | UnreadableRecord): r is ClearingRecord {
  return 'identity' in r;
}
