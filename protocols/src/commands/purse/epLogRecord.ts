/**
 * A record of the EP's transaction log, EF 0x18 (card interface spec §4): cyclic, 10 records of
 * 23 bytes, record 1 the newest.
 *
 * ```
 * counter before the transaction (2) ‖ overdraft limit 000000 (3) ‖ amount (4) ‖ type (1)
 *   ‖ terminal number (6) ‖ date (4) ‖ time (3)
 * read: 00 B2 rec C4 17        (P2 = 18 << 3 | 04); 6A83 past the last written record
 * ```
 */
import type { ResponseApdu } from '../../apdu.js';
import { decodeBcdDate, decodeBcdTime, encodeBcdDate, encodeBcdTime } from '../../bcd.js';
import { readUintBE } from '../../bytes.js';
import { ProtocolError } from '../../errors.js';
import { type CardCommand, requireDataLength } from '../cardCommand.js';
import { READ_RECORD_STATUS, encodeReadRecord, parseReadRecordResponse } from '../readRecord.js';
import { EP_SFI, PurseDataError } from './purseCommon.js';

/** Bytes of one log record. */
export const EP_LOG_RECORD_LENGTH = 23;
/** Records the log holds. */
export const EP_LOG_RECORDS = 10;

export interface EpLogRecord {
  /** The online (load) or offline (purchase) counter before the transaction, 0 to 65535. */
  readonly counter: number;
  /** Overdraft limit, 0 to 2^24-1 (0 on CityCard). */
  readonly overdraftLimit: number;
  /** 0 to 2^32-1. */
  readonly amount: number;
  /** Transaction type: `02` load, `06` purchase. */
  readonly type: number;
  /** Terminal number, 6 bytes as 12 hex digits; decoding yields upper case. */
  readonly terminal: string;
  /** `YYYYMMDD`. */
  readonly date: string;
  /** `hhmmss`. */
  readonly time: string;
}

/** Encode a log record. Throws `PurseDataError` naming the field that is out of range or malformed. */
export function encodeEpLogRecord(record: EpLogRecord): Buffer {
  const out = Buffer.alloc(EP_LOG_RECORD_LENGTH);
  out.writeUIntBE(checkUint('counter', record.counter, 0xffff), 0, 2);
  out.writeUIntBE(checkUint('overdraftLimit', record.overdraftLimit, 0xffffff), 2, 3);
  out.writeUInt32BE(checkUint('amount', record.amount, 0xffffffff), 5);
  out[9] = checkUint('type', record.type, 0xff);
  if (typeof record.terminal !== 'string' || !/^[0-9A-Fa-f]{12}$/.test(record.terminal)) {
    throw new PurseDataError('log record: terminal must be 12 hex digits', 'terminal');
  }
  out.write(record.terminal, 10, 'hex');
  field('date', () => encodeBcdDate(record.date)).copy(out, 16);
  field('time', () => encodeBcdTime(record.time)).copy(out, 20);
  return out;
}

/** Decode a log record. Throws `PurseDataError` for another length or an impossible date or time. */
export function decodeEpLogRecord(bytes: Uint8Array): EpLogRecord {
  if (bytes.length !== EP_LOG_RECORD_LENGTH) {
    throw new PurseDataError(`log record must be ${EP_LOG_RECORD_LENGTH} bytes, got ${bytes.length}`);
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    counter: readUintBE(b, 0, 2),
    overdraftLimit: readUintBE(b, 2, 3),
    amount: readUintBE(b, 5, 4),
    type: b[9]!,
    terminal: b.subarray(10, 16).toString('hex').toUpperCase(),
    date: field('date', () => decodeBcdDate(b.subarray(16, 20))),
    time: field('time', () => decodeBcdTime(b.subarray(20, 23))),
  };
}

/** READ RECORD `record` (1 newest .. 10) of EF 0x18. Throws `CommandParameterError` for a record outside 1..254. */
export function encodeReadEpLogRecord(record: number): Buffer {
  return encodeReadRecord(EP_SFI.log, record, EP_LOG_RECORD_LENGTH);
}

/**
 * The decoded record, or undefined for 6A83 (not written yet). Throws `ResponseDataError` for a
 * record that is not 23 bytes, `PurseDataError` for bad content.
 */
export function parseReadEpLogRecordResponse(response: ResponseApdu): EpLogRecord | undefined {
  const data = parseReadRecordResponse(response, EP_LOG_RECORD_LENGTH);
  if (data === undefined) return undefined;
  requireDataLength('READ RECORD EF 18', data, EP_LOG_RECORD_LENGTH);
  return decodeEpLogRecord(data);
}

/** READ RECORD of the log ready to send. Throws as {@link encodeReadEpLogRecord}. */
export function readEpLogRecordCommand(record: number): CardCommand<EpLogRecord | undefined> {
  return {
    name: 'READ RECORD EF 18',
    apdu: encodeReadEpLogRecord(record),
    statusTable: READ_RECORD_STATUS,
    parse: parseReadEpLogRecordResponse,
  };
}

function checkUint(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new PurseDataError(`log record: ${name} must be an integer 0 to ${max}`, name);
  }
  return value;
}

function field<T>(name: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof ProtocolError) throw new PurseDataError(`log record: ${name}: ${err.message}`, name, { cause: err });
    throw err;
  }
}
