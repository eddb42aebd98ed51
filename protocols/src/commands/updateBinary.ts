/**
 * UPDATE BINARY (ISO/IEC 7816-4; a personalization command, card interface spec §2 addressing):
 *
 * ```
 * 00 D6 P1 P2 Lc data    P1 P2: see fileAddress.ts (SFI form 80|SFI offset, or offset form 0000..7FFF)
 *                        data 1..255 bytes
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
import { type BinaryTarget, binaryP1P2 } from './fileAddress.js';

export const UPDATE_BINARY_INS = 0xd6;

export const UPDATE_BINARY_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'written' },
  { sw: 0x6981, outcome: 'error', meaning: 'not a transparent file' },
  { sw: 0x6982, outcome: 'error', meaning: 'security status not satisfied' },
  { sw: 0x6985, outcome: 'error', meaning: 'conditions of use not satisfied' },
  { sw: 0x6986, outcome: 'error', meaning: 'no current EF' },
  { sw: 0x6a82, outcome: 'error', meaning: 'file not found' },
  { sw: 0x6a84, outcome: 'error', meaning: 'data does not fit in the file' },
  { sw: 0x6b00, outcome: 'error', meaning: 'offset beyond the end of the file' },
  ...COMMON_ERROR_STATUS,
];

/** Encode UPDATE BINARY. Throws `CommandParameterError` for an SFI or offset out of range, or data not 1..255 bytes. */
export function encodeUpdateBinary(target: BinaryTarget, data: Uint8Array): Buffer {
  if (data.length < 1 || data.length > 255) {
    throw new CommandParameterError('data', `UPDATE BINARY data must be 1 to 255 bytes, got ${data.length}`);
  }
  const { p1, p2 } = binaryP1P2(target);
  return encodeCommandApdu({ cla: 0x00, ins: UPDATE_BINARY_INS, p1, p2, data });
}

/** Check an UPDATE BINARY response. Throws `ResponseDataError` if it carries data. */
export function parseUpdateBinaryResponse(response: ResponseApdu): void {
  requireResultStatus('UPDATE BINARY', response.sw, 0x9000);
  requireDataLength('UPDATE BINARY', response.data, 0);
}

/** UPDATE BINARY ready to send. Throws as {@link encodeUpdateBinary}. */
export function updateBinaryCommand(target: BinaryTarget, data: Uint8Array): CardCommand<void> {
  return {
    name: 'UPDATE BINARY',
    apdu: encodeUpdateBinary(target, data),
    statusTable: UPDATE_BINARY_STATUS,
    parse: parseUpdateBinaryResponse,
  };
}
