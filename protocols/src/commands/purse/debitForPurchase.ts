/**
 * DEBIT FOR PURCHASE (card interface spec §4), the second half of an offline purchase:
 *
 * ```
 * 80 54 01 00 0F  TTSN (4) ‖ date (4) ‖ time (3) ‖ MAC1 (4)  08
 * response: TAC (4) ‖ MAC2 (4)
 * 9302 MAC1 invalid (nothing changes); 6985 not directly after INITIALIZE FOR PURCHASE
 * ```
 * On 9000 the balance, offline counter, log and stored proof have changed together; a lost
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
import { EP_STATE_STATUS, MAC_LENGTH, PURSE_CLA, checkAmount, checkBcdDate, checkBcdTime, checkBytes } from './purseCommon.js';

export const DEBIT_FOR_PURCHASE_INS = 0x54;
/** Bytes of the DEBIT FOR PURCHASE answer (its Le). */
export const DEBIT_FOR_PURCHASE_RESPONSE_LENGTH = 8;

export interface DebitForPurchaseInput {
  /** Terminal transaction sequence number from the PSAM, 0 to 2^32-1. */
  readonly ttsn: number;
  /** Transaction date, 4 bytes BCD. */
  readonly date: Uint8Array;
  /** Transaction time, 3 bytes BCD. */
  readonly time: Uint8Array;
  /** MAC1 from the PSAM, 4 bytes. */
  readonly mac1: Uint8Array;
}

export interface DebitForPurchaseResult {
  /** The card's TAC over the purchase, 4 bytes (checked by the HSM at clearing). */
  readonly tac: Buffer;
  /** The card's MAC2 over the amount, 4 bytes (checked by the PSAM). */
  readonly mac2: Buffer;
}

export const DEBIT_FOR_PURCHASE_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'debited' },
  { sw: 0x9302, outcome: 'error', meaning: 'MAC1 invalid, nothing debited' },
  { sw: 0x6985, outcome: 'error', meaning: 'not directly after INITIALIZE FOR PURCHASE' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data' },
  ...EP_STATE_STATUS,
  ...COMMON_ERROR_STATUS,
];

/** Encode DEBIT FOR PURCHASE. Throws `CommandParameterError` for a TTSN out of range, a bad date, time or MAC1. */
export function encodeDebitForPurchase(input: DebitForPurchaseInput): Buffer {
  checkAmount('ttsn', input.ttsn);
  checkBcdDate('date', input.date);
  checkBcdTime('time', input.time);
  checkBytes('mac1', input.mac1, MAC_LENGTH);
  const data = Buffer.alloc(15);
  data.writeUInt32BE(input.ttsn, 0);
  data.set(input.date, 4);
  data.set(input.time, 8);
  data.set(input.mac1, 11);
  return encodeCommandApdu({
    cla: PURSE_CLA,
    ins: DEBIT_FOR_PURCHASE_INS,
    p1: 0x01,
    p2: 0x00,
    data,
    le: DEBIT_FOR_PURCHASE_RESPONSE_LENGTH,
  });
}

/** TAC and MAC2. Throws `ResponseDataError` unless the answer is 8 bytes with 9000. */
export function parseDebitForPurchaseResponse(response: ResponseApdu): DebitForPurchaseResult {
  requireResultStatus('DEBIT FOR PURCHASE', response.sw, 0x9000);
  requireDataLength('DEBIT FOR PURCHASE', response.data, DEBIT_FOR_PURCHASE_RESPONSE_LENGTH);
  return { tac: Buffer.from(response.data.subarray(0, 4)), mac2: Buffer.from(response.data.subarray(4, 8)) };
}

/** DEBIT FOR PURCHASE ready to send. Throws as {@link encodeDebitForPurchase}. */
export function debitForPurchaseCommand(input: DebitForPurchaseInput): CardCommand<DebitForPurchaseResult> {
  return {
    name: 'DEBIT FOR PURCHASE',
    apdu: encodeDebitForPurchase(input),
    statusTable: DEBIT_FOR_PURCHASE_STATUS,
    parse: parseDebitForPurchaseResponse,
  };
}
