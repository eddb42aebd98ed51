/**
 * CREDIT FOR LOAD (card interface spec §4), the second half of an online load:
 *
 * ```
 * 80 52 00 00 0B  host date (4) ‖ host time (3) ‖ MAC2 (4)  04
 * response: TAC (4)
 * 9302 MAC2 invalid (nothing changes); 6985 not directly after INITIALIZE FOR LOAD
 * ```
 * On 9000 the balance, online counter, log and stored proof have changed together; a lost
 * answer is recovered with GET TRANSACTION PROOF (§6).
 */
import type { ResponseApdu } from '../../apdu.js';
import { encodeCommandApdu } from '../../apdu.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  type StatusTable,
  requireDataLength,
  requireResultStatus,
} from '../cardCommand.js';
import { DATE_LENGTH, EP_STATE_STATUS, MAC_LENGTH, PURSE_CLA, TIME_LENGTH, checkBcdDate, checkBcdTime, checkBytes } from './purseCommon.js';

export const CREDIT_FOR_LOAD_INS = 0x52;

export interface CreditForLoadInput {
  /** Host date, 4 bytes BCD `YYYYMMDD` (the date MAC2 covers). */
  readonly date: Uint8Array;
  /** Host time, 3 bytes BCD `hhmmss`. */
  readonly time: Uint8Array;
  /** MAC2 from the HSM, 4 bytes. */
  readonly mac2: Uint8Array;
}

export const CREDIT_FOR_LOAD_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'loaded' },
  { sw: 0x9302, outcome: 'error', meaning: 'MAC2 invalid, nothing loaded' },
  { sw: 0x6985, outcome: 'error', meaning: 'not directly after INITIALIZE FOR LOAD' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data' },
  ...EP_STATE_STATUS,
  ...COMMON_ERROR_STATUS,
];

/** Encode CREDIT FOR LOAD. Throws `CommandParameterError` for a bad date, time or MAC2 length. */
export function encodeCreditForLoad(input: CreditForLoadInput): Buffer {
  checkBcdDate('date', input.date);
  checkBcdTime('time', input.time);
  checkBytes('mac2', input.mac2, MAC_LENGTH);
  const data = Buffer.alloc(DATE_LENGTH + TIME_LENGTH + MAC_LENGTH);
  data.set(input.date, 0);
  data.set(input.time, 4);
  data.set(input.mac2, 7);
  return encodeCommandApdu({ cla: PURSE_CLA, ins: CREDIT_FOR_LOAD_INS, p1: 0x00, p2: 0x00, data, le: MAC_LENGTH });
}

/** The load TAC, 4 bytes. Throws `ResponseDataError` unless it is 4 bytes with 9000. */
export function parseCreditForLoadResponse(response: ResponseApdu): Buffer {
  requireResultStatus('CREDIT FOR LOAD', response.sw, 0x9000);
  requireDataLength('CREDIT FOR LOAD', response.data, MAC_LENGTH);
  return Buffer.from(response.data);
}

/** CREDIT FOR LOAD ready to send. Throws as {@link encodeCreditForLoad}. */
export function creditForLoadCommand(input: CreditForLoadInput): CardCommand<Buffer> {
  return {
    name: 'CREDIT FOR LOAD',
    apdu: encodeCreditForLoad(input),
    statusTable: CREDIT_FOR_LOAD_STATUS,
    parse: parseCreditForLoadResponse,
  };
}
