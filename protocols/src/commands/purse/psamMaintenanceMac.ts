/**
 * Maintenance MAC, on the PSAM (card interface spec §5): authorises APPLICATION BLOCK (or
 * UNBLOCK) of one card. The PSAM diversifies DAMK from MAMK by the card number.
 *
 * ```
 * 80 74 00 00 15  card number (8) ‖ card challenge (4) ‖ CLA INS P1 P2 Lc (5) ‖ RFU 00000000  04
 * response: MAC (4) = retail MAC under DAMK, ICV challenge ‖ 00000000, over the header, padding 2
 * ```
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
import { MAC_LENGTH, PURSE_CLA, checkBcdCardNumber, checkBytes } from './purseCommon.js';

export const PSAM_MAINTENANCE_MAC_INS = 0x74;

export interface PsamMaintenanceMacInput {
  /** Card number, 8 bytes BCD. */
  readonly cardNumber: Uint8Array;
  /** The card's GET CHALLENGE answer, 4 bytes. */
  readonly challenge: Uint8Array;
  /** The 5-byte header CLA INS P1 P2 Lc of the command to protect. */
  readonly header: Uint8Array;
}

export const PSAM_MAINTENANCE_MAC_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'maintenance MAC computed' },
  { sw: 0x9403, outcome: 'error', meaning: 'no maintenance master key' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data' },
  { sw: 0x6985, outcome: 'error', meaning: 'conditions of use not satisfied' },
  ...COMMON_ERROR_STATUS,
];

/** Encode maintenance MAC. Throws `CommandParameterError` for a field of the wrong length or a card number not BCD. */
export function encodePsamMaintenanceMac(input: PsamMaintenanceMacInput): Buffer {
  checkBcdCardNumber('cardNumber', input.cardNumber);
  checkBytes('challenge', input.challenge, 4);
  checkBytes('header', input.header, 5);
  const data = Buffer.alloc(21);
  data.set(input.cardNumber, 0);
  data.set(input.challenge, 8);
  data.set(input.header, 12);
  return encodeCommandApdu({ cla: PURSE_CLA, ins: PSAM_MAINTENANCE_MAC_INS, p1: 0x00, p2: 0x00, data, le: MAC_LENGTH });
}

/** The MAC, 4 bytes. Throws `ResponseDataError` unless the answer is 4 bytes with 9000. */
export function parsePsamMaintenanceMacResponse(response: ResponseApdu): Buffer {
  requireResultStatus('MAINTENANCE MAC', response.sw, 0x9000);
  requireDataLength('MAINTENANCE MAC', response.data, MAC_LENGTH);
  return Buffer.from(response.data);
}

/** Maintenance MAC ready to send to the PSAM. Throws as {@link encodePsamMaintenanceMac}. */
export function psamMaintenanceMacCommand(input: PsamMaintenanceMacInput): CardCommand<Buffer> {
  return {
    name: 'MAINTENANCE MAC',
    apdu: encodePsamMaintenanceMac(input),
    statusTable: PSAM_MAINTENANCE_MAC_STATUS,
    parse: parsePsamMaintenanceMacResponse,
  };
}
