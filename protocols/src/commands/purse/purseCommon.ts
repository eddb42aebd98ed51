/**
 * What the EP and PSAM command families share (card interface spec §2, §4, §5): identifiers,
 * the constants every purse command carries, parameter checks and the status words of an EP
 * whose application is blocked or locked.
 *
 * Field conventions of the purse codecs: amounts and balances are integers 0 to 2^32-1,
 * counters 0 to 65535, TTSN 0 to 2^32-1; the terminal number (6 bytes), dates (4 bytes BCD
 * `YYYYMMDD`), times (3 bytes BCD `hhmmss`), randoms, MACs and TACs (4 bytes) and card numbers
 * (8 bytes BCD) are bytes exactly as they travel.
 */
import { isValidDate, isValidTime } from '../../bcd.js';
import { ProtocolError } from '../../errors.js';
import { type StatusTable, CommandParameterError, checkIntParameter } from '../cardCommand.js';

/** AID of the EP application: F0 "CITYEP" 01. */
export const EP_AID = Buffer.from('F043495459455001', 'hex');
/** AID of the PSAM application: F0 "CITYSAM". */
export const PSAM_AID = Buffer.from('F04349545953414D', 'hex');

/** CLA of the plain proprietary purse commands. */
export const PURSE_CLA = 0x80;
/** CLA of the purse commands that carry a maintenance MAC (APPLICATION BLOCK / UNBLOCK). */
export const PURSE_MAC_CLA = 0x84;

/** Key index every purse command names (§4: "Key index in commands: 01"). */
export const PURSE_KEY_INDEX = 0x01;
/** Algorithm id of the spec's 3DES suite. */
export const PURSE_ALGORITHM_3DES = 0x00;

/** Short file identifiers of the EP's files. */
export const EP_SFI = {
  /** EF 0x15, 30 bytes: issuer id, app type, version, card number, dates, card type. */
  issuer: 0x15,
  /** EF 0x12, 8 bytes: max balance, max single purchase. */
  limits: 0x12,
  /** EF 0x18, cyclic log of 10 records of 23 bytes, newest first. */
  log: 0x18,
} as const;

/** Short file identifier of the PSAM's EF 0x16 (terminal number, 6 bytes). */
export const PSAM_SFI_TERMINAL = 0x16;

/** Bytes of a card number, terminal number, date, time, random, MAC and TAC on the wire. */
export const CARD_NUMBER_LENGTH = 8;
export const TERMINAL_NUMBER_LENGTH = 6;
export const DATE_LENGTH = 4;
export const TIME_LENGTH = 3;
export const RANDOM_LENGTH = 4;
export const MAC_LENGTH = 4;

const U16 = 0xffff;
const U32 = 0xffffffff;

/** Status words of an EP that cannot run purse transactions. */
export const EP_STATE_STATUS: StatusTable = [
  { sw: 0x6a81, outcome: 'error', meaning: 'application blocked' },
  { sw: 0x9303, outcome: 'error', meaning: 'application permanently locked' },
];

/**
 * Purse data (EF 0x15, EF 0x12, a log record) that is not as §4 lays it out, or a value that
 * cannot be encoded into it. `field` names the offending field.
 */
export class PurseDataError extends ProtocolError {
  override readonly name: string = 'PurseDataError';
  /** Status word a card answers with when a command carries such data: 6A80 incorrect data. */
  readonly sw: number = 0x6a80;
  readonly field: string | undefined;
  constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}

/** Throws `CommandParameterError` unless `bytes` is exactly `length` bytes. */
export function checkBytes(parameter: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new CommandParameterError(parameter, `${parameter} must be ${length} bytes, got ${got}`);
  }
}

/** Throws `CommandParameterError` unless `value` is an integer 0 to 2^32-1. */
export function checkAmount(parameter: string, value: number): void {
  checkIntParameter(parameter, value, 0, U32);
}

/** Throws `CommandParameterError` unless `value` is an integer 0 to 65535. */
export function checkCounter(parameter: string, value: number): void {
  checkIntParameter(parameter, value, 0, U16);
}

/** Throws `CommandParameterError` unless `date` is 4 BCD bytes of a real `YYYYMMDD` date. */
export function checkBcdDate(parameter: string, date: Uint8Array): void {
  checkBytes(parameter, date, DATE_LENGTH);
  if (!isValidDate(Buffer.from(date).toString('hex'))) {
    throw new CommandParameterError(parameter, `${parameter} is not a BCD YYYYMMDD date`);
  }
}

/** Throws `CommandParameterError` unless `time` is 3 BCD bytes of a valid `hhmmss` time. */
export function checkBcdTime(parameter: string, time: Uint8Array): void {
  checkBytes(parameter, time, TIME_LENGTH);
  if (!isValidTime(Buffer.from(time).toString('hex'))) {
    throw new CommandParameterError(parameter, `${parameter} is not a BCD hhmmss time`);
  }
}

/** Throws `CommandParameterError` unless `cardNumber` is 8 bytes of BCD digits. */
export function checkBcdCardNumber(parameter: string, cardNumber: Uint8Array): void {
  checkBytes(parameter, cardNumber, CARD_NUMBER_LENGTH);
  if (!/^[0-9]{16}$/.test(Buffer.from(cardNumber).toString('hex'))) {
    throw new CommandParameterError(parameter, `${parameter} is not 16 BCD digits`);
  }
}
