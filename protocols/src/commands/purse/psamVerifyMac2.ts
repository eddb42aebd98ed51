/**
 * Verify MAC2, on the PSAM (card interface spec §5): checks the card's MAC2 under the SESPK of
 * the last MAC1 for purchase, proving the card that debited holds the genuine DPK.
 *
 * ```
 * 80 72 00 00 04  MAC2 (4)
 * response: no data; 9000 MAC2 right, 9302 MAC2 wrong
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
import { MAC_LENGTH, PURSE_CLA, checkBytes } from './purseCommon.js';

export const PSAM_VERIFY_MAC2_INS = 0x72;

export const PSAM_VERIFY_MAC2_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'MAC2 verified' },
  { sw: 0x9302, outcome: 'result', meaning: 'MAC2 wrong' },
  { sw: 0x6985, outcome: 'error', meaning: 'no MAC1 for purchase before' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data' },
  ...COMMON_ERROR_STATUS,
];

/** Encode verify MAC2. Throws `CommandParameterError` for a MAC2 that is not 4 bytes. */
export function encodePsamVerifyMac2(mac2: Uint8Array): Buffer {
  checkBytes('mac2', mac2, MAC_LENGTH);
  return encodeCommandApdu({ cla: PURSE_CLA, ins: PSAM_VERIFY_MAC2_INS, p1: 0x00, p2: 0x00, data: mac2 });
}

/** True for 9000, false for 9302. Throws `ResponseDataError` for data or another status word. */
export function parsePsamVerifyMac2Response(response: ResponseApdu): boolean {
  requireResultStatus('VERIFY MAC2', response.sw, 0x9000, 0x9302);
  requireDataLength('VERIFY MAC2', response.data, 0);
  return response.sw === 0x9000;
}

/** Verify MAC2 ready to send to the PSAM. Throws as {@link encodePsamVerifyMac2}. */
export function psamVerifyMac2Command(mac2: Uint8Array): CardCommand<boolean> {
  return {
    name: 'VERIFY MAC2',
    apdu: encodePsamVerifyMac2(mac2),
    statusTable: PSAM_VERIFY_MAC2_STATUS,
    parse: parsePsamVerifyMac2Response,
  };
}
