/**
 * UPDATE RECORD (ISO/IEC 7816-4; a personalization command, card interface spec §2 addressing):
 *
 * ```
 * 00 DC rec P2 Lc data    rec 01..FE; P2 = SFI << 3 | 04; data 1..255 bytes
 * response: no data
 * ```
 */
import type { ResponseApdu } from '../apdu.js';
import { encodeCommandApdu } from '../apdu.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  CommandParameterError,
  type StatusTable,
  requireDataLength,
  requireResultStatus,
} from './cardCommand.js';
import { checkRecordNumber, recordP2 } from './fileAddress.js';

export const UPDATE_RECORD_INS = 0xdc;

export const UPDATE_RECORD_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'written' },
  { sw: 0x6981, outcome: 'error', meaning: 'not a record file' },
  { sw: 0x6982, outcome: 'error', meaning: 'security status not satisfied' },
  { sw: 0x6985, outcome: 'error', meaning: 'conditions of use not satisfied' },
  { sw: 0x6a82, outcome: 'error', meaning: 'file not found' },
  { sw: 0x6a83, outcome: 'error', meaning: 'record not found' },
  { sw: 0x6a84, outcome: 'error', meaning: 'record does not fit in the file' },
  ...COMMON_ERROR_STATUS,
];

/** Encode UPDATE RECORD. Throws `CommandParameterError` for a record 0 or FF, an SFI outside 1..30, data not 1..255 bytes. */
export function encodeUpdateRecord(sfi: number, record: number, data: Uint8Array): Buffer {
  checkRecordNumber(record);
  if (data.length < 1 || data.length > 255) {
    throw new CommandParameterError('data', `UPDATE RECORD data must be 1 to 255 bytes, got ${data.length}`);
  }
  return encodeCommandApdu({ cla: 0x00, ins: UPDATE_RECORD_INS, p1: record, p2: recordP2(sfi), data });
}

/** Check an UPDATE RECORD response. Throws `ResponseDataError` if it carries data. */
export function parseUpdateRecordResponse(response: ResponseApdu): void {
  requireResultStatus('UPDATE RECORD', response.sw, 0x9000);
  requireDataLength('UPDATE RECORD', response.data, 0);
}

/** UPDATE RECORD ready to send. Throws as {@link encodeUpdateRecord}. */
export function updateRecordCommand(sfi: number, record: number, data: Uint8Array): CardCommand<void> {
  return {
    name: 'UPDATE RECORD',
    apdu: encodeUpdateRecord(sfi, record, data),
    statusTable: UPDATE_RECORD_STATUS,
    parse: parseUpdateRecordResponse,
  };
}
