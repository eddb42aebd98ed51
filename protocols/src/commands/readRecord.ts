/**
 * READ RECORD (ISO/IEC 7816-4, card interface spec §2):
 *
 * ```
 * 00 B2 rec P2 Le    rec 01..FE; P2 = SFI << 3 | 04; Le 01..FF, 00 = up to 256
 * response: the record; 6A83 when there is no such record
 * ```
 */
import type { ResponseApdu } from '../apdu.js';
import { encodeCommandApdu } from '../apdu.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  ResponseDataError,
  type StatusTable,
  checkIntParameter,
  requireResultStatus,
} from './cardCommand.js';
import { checkRecordNumber, recordP2 } from './fileAddress.js';

export const READ_RECORD_INS = 0xb2;

export const READ_RECORD_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'record read' },
  { sw: 0x6a83, outcome: 'result', meaning: 'record not found' },
  { sw: 0x6981, outcome: 'error', meaning: 'not a record file' },
  { sw: 0x6982, outcome: 'error', meaning: 'security status not satisfied' },
  { sw: 0x6a82, outcome: 'error', meaning: 'file not found' },
  ...COMMON_ERROR_STATUS,
];

/** Encode READ RECORD. Throws `CommandParameterError` for a record 0 or FF, an SFI outside 1..30, Le outside 1..256. */
export function encodeReadRecord(sfi: number, record: number, le = 256): Buffer {
  checkRecordNumber(record);
  checkIntParameter('le', le, 1, 256);
  return encodeCommandApdu({ cla: 0x00, ins: READ_RECORD_INS, p1: record, p2: recordP2(sfi), le });
}

/**
 * The record, or undefined for 6A83 (no such record). Throws `ResponseDataError` for a record
 * longer than `le`, or data with 6A83.
 */
export function parseReadRecordResponse(response: ResponseApdu, le = 256): Buffer | undefined {
  requireResultStatus('READ RECORD', response.sw, 0x9000, 0x6a83);
  if (response.sw === 0x6a83) {
    if (response.data.length !== 0) throw new ResponseDataError('READ RECORD: data with 6A83');
    return undefined;
  }
  if (response.data.length > le) {
    throw new ResponseDataError(`READ RECORD: ${response.data.length} bytes for Le ${le}`);
  }
  return response.data;
}

/** READ RECORD ready to send. Throws as {@link encodeReadRecord}. */
export function readRecordCommand(sfi: number, record: number, le = 256): CardCommand<Buffer | undefined> {
  return {
    name: 'READ RECORD',
    apdu: encodeReadRecord(sfi, record, le),
    statusTable: READ_RECORD_STATUS,
    parse: (response) => parseReadRecordResponse(response, le),
  };
}
